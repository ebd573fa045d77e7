// The queue's spool files: one per message, DATA_DIR/queue/ID.eml, kept apart from the
// database so that the store's rows stay small and a message's bytes are written (and fsynced)
// before the row that names it is committed: a committed row always has its file, and a crash
// in between leaves only a file without a row, which remove_orphans() finds later.
//
// Thread-safety: the methods may be called from any thread; ids are unique, so no two calls
// write the same file. Every call blocks on disk.
// Errors: "queue.io" (with the path and errno's text), "queue.missing", "queue.exists".
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/util/result.hpp"
#include "mail/queue/store.hpp"

namespace hearth::mail::queue {

class spool {
 public:
  // Creates DATA_DIR/queue if needed. Errors: "queue.io".
  static result<spool> open(const std::filesystem::path& data_dir);

  std::filesystem::path path(std::string_view id) const { return dir_ / (std::string(id) + ".eml"); }

  // Writes ID.tmp from `message` as its pieces come, fsyncs it, renames it to ID.eml and
  // fsyncs the folder; returns the octets written. "queue.exists" when ID.eml is already there
  // (the caller picks another id); a source error is returned as it is, with no file left.
  result<std::uint64_t> write(std::string_view id, const piece_source& message) const;
  // The file in pieces of at most `piece` octets (next(): an empty string at the end).
  // "queue.missing" when the file does not exist.
  result<std::unique_ptr<message_reader>> open_reader(std::string_view id, std::size_t piece) const;
  // Best effort: a file left behind is an orphan for remove_orphans().
  void remove(std::string_view id) const;

  // Deletes *.tmp files, and *.eml files whose id `known` says no row names, once they were
  // last written at least min_age ago; returns how many went. `known` errors stop the walk.
  result<int> remove_orphans(std::chrono::seconds min_age,
                             const std::function<result<bool>(const std::string& id)>& known) const;

 private:
  explicit spool(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

}  // namespace hearth::mail::queue
