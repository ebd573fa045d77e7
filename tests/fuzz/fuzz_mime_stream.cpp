// libFuzzer target for the streaming MIME structure builder (mail/message/mime_stream.hpp):
// fed in pieces whose sizes the input chooses, it must never crash and must give exactly the
// structure parse_message() gives for the same bytes (offsets, lines, header fields, types,
// problems), under the default limits or small ones; when it gives up, only because a header
// section passed its stream limit.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "mail/message/mime_compare.hpp"
#include "mail/message/mime_stream.hpp"

using namespace hearth::mail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // Byte 0: limits; byte 1: piece sizes; the rest is the message.
  const unsigned mode = data[0], pieces = data[1];
  std::string_view msg(reinterpret_cast<const char*>(data) + 2, size - 2);
  structure_limits lim;
  stream_limits sl;
  if (mode & 1) lim.max_depth = 1 + (mode >> 4) % 4;
  if (mode & 2) lim.max_parts = 1 + (mode >> 2) % 8;
  if (mode & 4) lim.header.max_fields = 1 + (mode >> 3) % 4;
  if (mode & 8) lim.header.max_section = 16 + (mode >> 4) * 8;
  const bool small_stream = (mode & 0xc0) == 0xc0;
  if (small_stream) sl.max_header = 64;
  structure_builder b(lim, sl);
  std::size_t at = 0, k = 0;
  while (at < msg.size()) {
    // Piece sizes 1..16 in a pattern taken from the bits of byte 1, or everything at once.
    std::size_t n = pieces == 0 ? msg.size() : 1 + (((pieces >> (k % 8)) & 1) ? (pieces & 15) : (k % 5));
    n = std::min(n, msg.size() - at);
    b.feed(msg.substr(at, n));
    at += n;
    ++k;
  }
  auto streamed = b.finish();
  const auto whole = parse_message(msg, lim);
  if (!streamed) {
    if (!small_stream && msg.size() < sl.max_header) {
      std::fprintf(stderr, "gave up on %zu octets\n", msg.size());
      std::abort();
    }
    return 0;
  }
  auto diff = structure_difference(streamed->structure, whole);
  if (!diff.empty()) {
    std::fprintf(stderr, "streamed != whole: %s\n", diff.c_str());
    std::abort();
  }
  const auto& r = whole.root;
  if (streamed->root_header() != msg.substr(r.header_begin, r.header_size())) std::abort();
  return 0;
}
