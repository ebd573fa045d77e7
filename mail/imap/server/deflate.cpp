#include "mail/imap/server/deflate.hpp"

#include <zlib.h>

namespace hearth::mail::imap {

struct deflate_codec::impl {
  z_stream out{};
  z_stream in{};
};

deflate_codec::deflate_codec() : p_(std::make_unique<impl>()) {
  deflateInit2(&p_->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  inflateInit2(&p_->in, -15);
}

deflate_codec::~deflate_codec() {
  deflateEnd(&p_->out);
  inflateEnd(&p_->in);
}

std::string deflate_codec::compress(std::string_view data) {
  std::string out;
  auto& z = p_->out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  char buf[16384];
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    deflate(&z, Z_SYNC_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  } while (z.avail_out == 0);
  return out;
}

result<std::string> deflate_codec::decompress(std::string_view data, std::size_t max_out) {
  std::string out;
  auto& z = p_->in;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  char buf[16384];
  while (z.avail_in > 0) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    int rc = inflate(&z, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) return fail("imap.inflate", "corrupt DEFLATE stream");
    out.append(buf, sizeof buf - z.avail_out);
    if (out.size() > max_out) return fail("imap.limit", "decompressed data too large");
    if (rc == Z_STREAM_END || (rc == Z_BUF_ERROR && z.avail_out != 0)) break;
  }
  return out;
}

}  // namespace hearth::mail::imap
