// Reading zip archives (PKWARE APPNOTE.TXT 6.3.10), for `hearth import takeout`: Google Takeout
// hands out .zip files. Pure: the caller reads bytes from the file at the offsets these
// functions name and feeds them in; nothing here opens a file.
//
//   1. tail = the last min(size, max_tail) bytes; auto d = find_directory(tail, size);
//   2. if d->zip64_record_offset: read 56 bytes there; d = read_zip64_record(bytes, *d);
//   3. cd = d->size bytes at d->offset; auto entries = parse_directory(cd, *d);
//   4. per entry: read 30 bytes at local_offset (+ name and extra lengths):
//      data_offset(header, entry); then feed compressed bytes to an `extractor`.
//
// Limits: the central directory at most max_directory bytes and max_entries entries, names at
// most 4096 bytes. Errors: "zip.format" (not a zip, truncated, inconsistent), "zip.unsupported"
// (encryption, a method other than stored or deflate, multi-disk archives), "zip.crc".
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::zip {

inline constexpr std::size_t max_tail = 65536 + 22 + 20;  // EOCD comment up to 64 KiB + zip64 locator
inline constexpr std::uint64_t max_directory = 256ull << 20;
inline constexpr std::size_t max_entries = 1'000'000;

struct directory {
  std::uint64_t offset = 0;  // of the central directory in the file
  std::uint64_t size = 0;
  std::uint64_t entries = 0;
  std::optional<std::uint64_t> zip64_record_offset;  // read 56 bytes there and call read_zip64_record
};

struct entry {
  std::string name;  // as stored ('/' separators; may be anything: check before using as a path)
  std::uint16_t method = 0;  // 0 stored, 8 deflate
  std::uint16_t flags = 0;
  std::uint32_t crc32 = 0;
  std::uint64_t compressed_size = 0;
  std::uint64_t size = 0;
  std::uint64_t local_offset = 0;
  bool is_directory() const { return !name.empty() && name.back() == '/'; }
};

result<directory> find_directory(std::string_view tail, std::uint64_t file_size);
result<directory> read_zip64_record(std::string_view record, const directory& d);
result<std::vector<entry>> parse_directory(std::string_view cd, const directory& d);
// `header`: at least 30 bytes from the entry's local_offset. Returns the offset of its data.
result<std::uint64_t> data_offset(std::string_view header, const entry& e);

// Decompresses one entry's data, fed in pieces, checking its size and CRC-32 at the end.
class extractor {
 public:
  using sink = std::function<result<void>(std::string_view)>;
  // Errors: "zip.unsupported" for a method other than 0 or 8 or an encrypted entry.
  static result<extractor> start(const entry& e, sink out);
  extractor(extractor&&) noexcept;
  extractor& operator=(extractor&&) noexcept;
  ~extractor();
  // Compressed bytes, in order. Errors: "zip.format" (corrupt data, more than the entry's size).
  result<void> feed(std::string_view compressed);
  // After the last piece: "zip.format" if short, "zip.crc" on a mismatch.
  result<void> finish();

 private:
  extractor() = default;
  struct state;
  std::unique_ptr<state> s_;
};

}  // namespace hearth::zip
