// libFuzzer target: arbitrary client bytes into the IMAP command reader/parser
// (mail/imap/proto), fed in arbitrary chunkings; plus the modified UTF-7 codec.
//
// Input layout: bytes 0-1 seed the chunk sizes and options; the rest is the client stream.
// Links hearth_mail_imap_proto (and hearth_util).
// Build: clang++ -std=c++20 -fsanitize=fuzzer,address -I. tests/fuzz/fuzz_imap.cpp
//        mail/imap/proto/*.cpp (all but *_test.cpp)
#include "mail/imap/proto/mutf7.hpp"
#include "mail/imap/proto/parser.hpp"
#include "mail/imap/proto/reader.hpp"
#include "mail/imap/proto/writer.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace hearth::mail::imap;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  unsigned seed = data[0] | (data[1] << 8);
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);

  reader_limits lim;
  lim.max_line = 512;
  lim.max_literal = 2048;
  lim.max_other_literal = 256;
  lim.max_command = 4096;
  parse_options opts;
  opts.utf8_accept = seed & 1;
  command_reader r(lim, opts);
  // Half the inputs stream APPEND literals of 64 octets or more (reader.hpp set_stream_min).
  if (seed & 2) r.set_stream_min(64);
  std::size_t pos = 0;
  unsigned state = seed;
  while (pos < in.size()) {
    state = state * 1103515245u + 12345u;
    std::size_t chunk = 1 + (state >> 16) % 64;
    r.feed(in.substr(pos, chunk));
    pos += chunk;
    for (int guard = 0; guard < 10000; ++guard) {
      auto e = r.next();
      if (e.kind == event_kind::need_more) break;
      if (e.kind == event_kind::command && (e.cmd.name == "IDLE" || e.cmd.name == "AUTHENTICATE"))
        r.expect_line();
      if (e.kind == event_kind::error && e.err.message.empty()) std::abort();
      if (e.kind == event_kind::literal_data && e.data.size() > lim.max_literal) std::abort();
    }
    // Nothing is held beyond the limits (plus one unparsed chunk).
    if (r.buffered() > lim.max_command + lim.max_line + 64) std::abort();
  }

  // The whole input as one framed command must give a value, never a crash.
  auto p = parse_command(in, opts);
  if (!p.cmd && p.cmd.error().message.empty()) std::abort();

  // Modified UTF-7: whatever decodes re-encodes to something that decodes to the same.
  if (auto d = mutf7_decode(in)) {
    auto again = mutf7_decode(mutf7_encode(*d));
    if (!again || *again != *d) std::abort();
  }
  std::string out;
  write_string(out, in, seed & 2);
  return 0;
}
