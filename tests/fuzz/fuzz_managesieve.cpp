// The ManageSieve command reader (mail/managesieve/proto/reader.hpp): the input is split into
// lines at CRLF and literals as the reader asks, the way the session feeds it. Nothing may crash,
// hang or grow past the limits.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/managesieve/proto/reader.hpp"

using namespace hearth::mail::managesieve;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  reader_limits l;
  l.max_literal = 4096;
  l.max_command = 16384;
  command_reader r(l);
  // The first byte chooses SASL-response mode for the first command.
  if (!in.empty() && (in[0] & 1)) r.expect_response();
  std::size_t pos = 0;
  want w = want::line;
  while (pos < in.size()) {
    if (w == want::literal) {
      std::size_t n = r.literal_size();
      if (n > l.max_literal) __builtin_trap();
      if (pos + n > in.size()) break;
      w = r.feed_literal(in.substr(pos, n));
      pos += n;
      continue;
    }
    auto eol = in.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = in.size();
    w = r.feed_line(in.substr(pos, eol - pos));
    pos = eol + 2;
    if (w == want::command) {
      auto c = r.take();
      if (c.args.size() > l.max_arguments) __builtin_trap();
      (void)quote(c.name);
      w = want::line;
    } else if (w == want::error || w == want::fatal) {
      r.take_error();
      if (w == want::fatal) break;
      w = want::line;
    }
  }
  return 0;
}
