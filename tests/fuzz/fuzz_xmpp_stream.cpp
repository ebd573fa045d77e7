// libFuzzer target: arbitrary bytes into the XMPP stream parser (xmpp/stream), split into
// chunks at 0xFF bytes as a session would feed them, with a reset() at each 0xFE (stream
// restart after STARTTLS/SASL); every stanza is serialized and parsed back. The same input is
// parsed a second time with hibernate() between all chunks (what an idle c2s connection
// does): the events must be the same.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/stream/jid.hpp"
#include "xmpp/stream/parser.hpp"

using namespace hearth::xmpp;

namespace {

std::vector<stream_event> run(std::string_view in, bool hibernate) {
  stream_parser p({.max_stanza = 64 * 1024, .max_depth = 32, .max_attrs = 16});
  std::vector<stream_event> ev;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= in.size(); ++i) {
    if (i == in.size() || in[i] == '\xff' || in[i] == '\xfe') {
      p.feed(in.substr(start, i - start), ev);
      if (i < in.size() && in[i] == '\xfe') p.reset();
      if (hibernate) p.hibernate();
      start = i + 1;
    }
  }
  return ev;
}

std::string describe(const stream_event& e) {
  return std::to_string(e.kind) + "|" + e.condition + "|" + serialize(e.el);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto ev = run(in, false);
  for (const auto& e : ev) {
    if (e.kind != stream_event::stanza) continue;
    auto text = serialize(e.el);
    auto back = parse_fragment(text);
    if (!back) __builtin_trap();  // our own output must parse
    (void)jid::parse(e.el.get("to"));
  }
  auto hib = run(in, true);
  if (hib.size() != ev.size()) __builtin_trap();
  for (std::size_t i = 0; i < ev.size(); ++i)
    if (describe(ev[i]) != describe(hib[i])) __builtin_trap();
  return 0;
}
