// Where a large SMTP message waits between its first MiB and the end of DATA/BDAT: an
// unlinked file in the data directory's tmp folder, so the session holds at most about a MiB
// of content in memory however large the message is (the size limit is the engine's).
//
// The file has no name once created (O_TMPFILE where the file system has it, else mkstemp and
// unlink at once): a crash leaves nothing behind, and nothing else can open it. It is never
// fsynced: it holds content not yet acknowledged; what is acknowledged is the copy the store
// made durable from it.
//
// Thread-safety: one writer; reads may run on other threads once writing is over (pread).
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/util/result.hpp"

namespace hearth::mail::smtp {

class spill_file {
 public:
  // Errors: "smtp.spill" (the folder cannot be made or the file created).
  static result<std::shared_ptr<spill_file>> create(const std::filesystem::path& dir);
  ~spill_file();
  spill_file(const spill_file&) = delete;
  spill_file& operator=(const spill_file&) = delete;

  // Appends at the end. Errors: "smtp.spill" (disk full, I/O error).
  result<void> append(std::string_view bytes);
  // Empties the file for the next message.
  result<void> clear();
  // Up to `n` octets at `offset` (fewer only at the end of the file). Errors: "smtp.spill".
  result<std::string> read(std::uint64_t offset, std::size_t n) const;
  std::uint64_t size() const { return size_; }

 private:
  explicit spill_file(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

// A received message as its consumers read it. Small messages: `text` is the whole message
// and `file` is null. Spilled ones: `text` is the header section (through the empty line that
// ends it, or all of the first `max_header` octets when none comes), and the body is the
// file's octets from `body_at` on, read in pieces.
struct message_source {
  static constexpr std::size_t max_header = 1 << 20;
  std::string text;
  std::shared_ptr<const spill_file> file;
  std::uint64_t body_at = 0;

  bool spilled() const { return file != nullptr; }
  std::uint64_t size() const { return spilled() ? text.size() + (file->size() - body_at) : text.size(); }
  // The header section (through the empty line): the whole `text` when spilled.
  std::string_view header() const;
  // `text`, then for a spilled message the first octets of the body, `body_max` at most and
  // cut after a line end: what a consumer that looks at the start of a message reads.
  result<std::string> bounded(std::size_t body_max) const;
  // Calls `out` with `text`, then the body in pieces of at most `piece` octets, in order;
  // stops at the first error `out` returns. Errors: "smtp.spill", or out's.
  result<void> each_piece(std::size_t piece, const std::function<result<void>(std::string_view)>& out) const;
  // The same for the body alone (of a spilled message; nothing for a small one).
  result<void> each_body_piece(std::size_t piece, const std::function<result<void>(std::string_view)>& out) const;
};

// The source for the content a spill file holds: `file` (the spilled part) and then `tail`
// (what the engine still held at the end). Reads the header section back from the file.
result<message_source> spilled_source(std::shared_ptr<spill_file> file, std::string_view tail);

}  // namespace hearth::mail::smtp
