// RFC 4978 COMPRESS=DEFLATE: raw deflate (RFC 1951, no zlib header) in both directions, each
// write flushed with Z_SYNC_FLUSH so the peer can decode it at once. Sans I/O.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "core/util/result.hpp"

namespace hearth::mail::imap {

class deflate_codec {
 public:
  deflate_codec();
  ~deflate_codec();
  deflate_codec(const deflate_codec&) = delete;
  deflate_codec& operator=(const deflate_codec&) = delete;

  std::string compress(std::string_view data);
  // Errors: "imap.inflate" (corrupt stream), "imap.limit" (output beyond max_out: a bomb).
  result<std::string> decompress(std::string_view data, std::size_t max_out);

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

}  // namespace hearth::mail::imap
