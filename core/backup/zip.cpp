#include "core/backup/zip.hpp"

#include <zlib.h>

#include <cstring>

namespace hearth::zip {
namespace {

std::uint16_t u16(std::string_view b, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(b[at]) | (static_cast<unsigned char>(b[at + 1]) << 8));
}
std::uint32_t u32(std::string_view b, std::size_t at) {
  return static_cast<std::uint32_t>(u16(b, at)) | (static_cast<std::uint32_t>(u16(b, at + 2)) << 16);
}
std::uint64_t u64(std::string_view b, std::size_t at) {
  return static_cast<std::uint64_t>(u32(b, at)) | (static_cast<std::uint64_t>(u32(b, at + 4)) << 32);
}

error bad(const std::string& why) { return fail("zip.format", "not a readable zip archive: " + why); }

}  // namespace

result<directory> find_directory(std::string_view tail, std::uint64_t file_size) {
  // APPNOTE 4.3.16: the end of central directory record (22 bytes + comment) ends the file;
  // search backwards for its signature.
  if (tail.size() < 22 || tail.size() > file_size) return bad("too short");
  for (std::size_t i = tail.size() - 22 + 1; i-- > 0;) {
    if (u32(tail, i) != 0x06054b50) continue;
    if (i + 22 + u16(tail, i + 20) != tail.size()) continue;  // the comment must reach the end
    directory d;
    const std::uint16_t disk = u16(tail, i + 4), cd_disk = u16(tail, i + 6);
    const std::uint16_t here = u16(tail, i + 8), total = u16(tail, i + 10);
    if (disk != 0 || cd_disk != 0 || here != total) return fail("zip.unsupported", "multi-part zip archives are not supported");
    d.entries = total;
    d.size = u32(tail, i + 12);
    d.offset = u32(tail, i + 16);
    // APPNOTE 4.3.15: a zip64 locator (20 bytes) precedes the record when any field overflowed.
    if (i >= 20 && u32(tail, i - 20) == 0x07064b50) {
      d.zip64_record_offset = u64(tail, i - 20 + 8);
      if (*d.zip64_record_offset >= file_size) return bad("zip64 locator points outside the file");
    } else if (d.offset + d.size > file_size - (tail.size() - i)) {
      return bad("central directory outside the file");
    }
    return d;
  }
  return bad("no end of central directory record");
}

result<directory> read_zip64_record(std::string_view r, const directory& d) {
  // APPNOTE 4.3.14: zip64 end of central directory record.
  if (r.size() < 56 || u32(r, 0) != 0x06064b50) return bad("bad zip64 end of central directory record");
  directory out = d;
  if (u32(r, 16) != 0 || u32(r, 20) != 0) return fail("zip.unsupported", "multi-part zip archives are not supported");
  out.entries = u64(r, 32);
  out.size = u64(r, 40);
  out.offset = u64(r, 48);
  out.zip64_record_offset.reset();
  return out;
}

result<std::vector<entry>> parse_directory(std::string_view cd, const directory& d) {
  if (d.size > max_directory) return bad("central directory too large");
  if (d.entries > max_entries) return bad("too many entries");
  if (cd.size() != d.size) return bad("central directory truncated");
  std::vector<entry> out;
  std::size_t pos = 0;
  for (std::uint64_t n = 0; n < d.entries; ++n) {
    // APPNOTE 4.3.12: central directory file header, 46 bytes + name + extra + comment.
    if (cd.size() - pos < 46 || u32(cd, pos) != 0x02014b50) return bad("bad central directory entry");
    entry e;
    e.flags = u16(cd, pos + 8);
    e.method = u16(cd, pos + 10);
    e.crc32 = u32(cd, pos + 16);
    e.compressed_size = u32(cd, pos + 20);
    e.size = u32(cd, pos + 24);
    const std::size_t name_len = u16(cd, pos + 28), extra_len = u16(cd, pos + 30), comment_len = u16(cd, pos + 32);
    const std::uint16_t disk = u16(cd, pos + 34);
    e.local_offset = u32(cd, pos + 42);
    if (disk != 0 && disk != 0xffff) return fail("zip.unsupported", "multi-part zip archives are not supported");
    if (cd.size() - pos - 46 < name_len + extra_len + comment_len) return bad("central directory entry truncated");
    if (name_len > 4096) return bad("entry name too long");
    e.name = std::string(cd.substr(pos + 46, name_len));
    // APPNOTE 4.5.3: zip64 extended information, in this order, only for the fields that overflowed.
    std::string_view extra = cd.substr(pos + 46 + name_len, extra_len);
    while (extra.size() >= 4) {
      const std::uint16_t id = u16(extra, 0), len = u16(extra, 2);
      if (extra.size() - 4 < len) return bad("bad extra field");
      if (id == 0x0001) {
        std::string_view z = extra.substr(4, len);
        std::size_t at = 0;
        auto take = [&](std::uint64_t& field) -> bool {
          if (at + 8 > z.size()) return false;
          field = u64(z, at);
          at += 8;
          return true;
        };
        if (e.size == 0xffffffff && !take(e.size)) return bad("bad zip64 extra field");
        if (e.compressed_size == 0xffffffff && !take(e.compressed_size)) return bad("bad zip64 extra field");
        if (e.local_offset == 0xffffffff && !take(e.local_offset)) return bad("bad zip64 extra field");
      }
      extra.remove_prefix(4 + len);
    }
    if (e.local_offset >= d.offset) return bad("entry data after the central directory");
    out.push_back(std::move(e));
    pos += 46 + name_len + extra_len + comment_len;
  }
  return out;
}

result<std::uint64_t> data_offset(std::string_view h, const entry& e) {
  // APPNOTE 4.3.7: local file header, 30 bytes + name + extra.
  if (h.size() < 30 || u32(h, 0) != 0x04034b50) return bad("bad local header for " + e.name.substr(0, 200));
  return e.local_offset + 30 + u16(h, 26) + u16(h, 28);
}

struct extractor::state {
  entry e;
  sink out;
  z_stream z{};
  bool inflating = false;
  bool ended = false;
  std::uint64_t in_total = 0, out_total = 0;
  uLong crc = crc32(0L, Z_NULL, 0);
  ~state() {
    if (inflating) inflateEnd(&z);
  }
};

result<extractor> extractor::start(const entry& e, sink out) {
  if (e.flags & 0x1) return fail("zip.unsupported", e.name.substr(0, 200) + " is encrypted");
  if (e.method != 0 && e.method != 8)
    return fail("zip.unsupported", e.name.substr(0, 200) + ": compression method " + std::to_string(e.method) + " is not supported");
  extractor x;
  x.s_ = std::make_unique<state>();
  x.s_->e = e;
  x.s_->out = std::move(out);
  if (e.method == 8) {
    if (inflateInit2(&x.s_->z, -MAX_WBITS) != Z_OK) return fail("zip.format", "cannot start inflating");
    x.s_->inflating = true;
  }
  return x;
}

extractor::extractor(extractor&&) noexcept = default;
extractor& extractor::operator=(extractor&&) noexcept = default;
extractor::~extractor() = default;

result<void> extractor::feed(std::string_view in) {
  auto& s = *s_;
  if (s.in_total + in.size() > s.e.compressed_size) return bad(s.e.name.substr(0, 200) + ": more data than its size");
  s.in_total += in.size();
  auto emit = [&](std::string_view piece) -> result<void> {
    s.out_total += piece.size();
    if (s.out_total > s.e.size) return bad(s.e.name.substr(0, 200) + ": inflates past its size");
    s.crc = crc32(s.crc, reinterpret_cast<const Bytef*>(piece.data()), static_cast<uInt>(piece.size()));
    return s.out(piece);
  };
  if (s.e.method == 0) return emit(in);
  s.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.z.avail_in = static_cast<uInt>(in.size());
  char buf[65536];
  while (s.z.avail_in > 0 && !s.ended) {
    s.z.next_out = reinterpret_cast<Bytef*>(buf);
    s.z.avail_out = sizeof buf;
    int rc = inflate(&s.z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return bad(s.e.name.substr(0, 200) + ": corrupt data");
    if (auto r = emit(std::string_view(buf, sizeof buf - s.z.avail_out)); !r) return r;
    if (rc == Z_STREAM_END) s.ended = true;
    if (rc == Z_BUF_ERROR && s.z.avail_out != 0) break;
  }
  // Output still pending in zlib's window with no more input.
  while (!s.ended && s.z.avail_in == 0) {
    s.z.next_out = reinterpret_cast<Bytef*>(buf);
    s.z.avail_out = sizeof buf;
    int rc = inflate(&s.z, Z_NO_FLUSH);
    if (rc == Z_BUF_ERROR) break;
    if (rc != Z_OK && rc != Z_STREAM_END) return bad(s.e.name.substr(0, 200) + ": corrupt data");
    if (auto r = emit(std::string_view(buf, sizeof buf - s.z.avail_out)); !r) return r;
    if (rc == Z_STREAM_END) s.ended = true;
    if (s.z.avail_out != 0) break;
  }
  return {};
}

result<void> extractor::finish() {
  auto& s = *s_;
  if (s.in_total != s.e.compressed_size || s.out_total != s.e.size || (s.e.method == 8 && !s.ended))
    return bad(s.e.name.substr(0, 200) + ": truncated");
  if (static_cast<std::uint32_t>(s.crc) != s.e.crc32) return fail("zip.crc", s.e.name.substr(0, 200) + ": CRC-32 mismatch (damaged)");
  return {};
}

}  // namespace hearth::zip
