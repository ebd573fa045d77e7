// libFuzzer target: arbitrary bytes into the WebSocket frame decoder (core/http/websocket.hpp),
// split into chunks at 0xFF bytes as reads would come, and each complete text message through
// the RFC 7395 framing (xmpp/web/proto/framing.hpp). Checks that a decoder never holds more than its
// limit, and that each server-encoded message decodes back once masked.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/websocket.hpp"
#include "xmpp/web/proto/framing.hpp"

using namespace hearth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  constexpr std::size_t limit = 4096;
  http::ws::decoder d(limit, true);
  xmpp::web::ws_framing framing({.max_stanza = 2048, .max_depth = 16, .max_attrs = 16});
  std::vector<http::ws::event> ev;
  std::vector<xmpp::stream_event> xev;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= in.size(); ++i) {
    if (i == in.size() || in[i] == '\xff') {
      d.feed(in.substr(start, i - start), ev);
      if (d.buffered() > limit + 14 + 64 * 1024) std::abort();
      start = i + 1;
    }
  }
  for (const auto& e : ev) {
    if (e.kind == http::ws::event::message) {
      if (e.data.size() > limit) std::abort();
      framing.message(e.data, xev);
      framing.hibernate();
    }
  }
  // Round trip: what the server encodes, masked as a client would, decodes to the same text.
  for (const auto& x : xev) {
    if (x.kind != xmpp::stream_event::stanza) continue;
    std::string text = xmpp::web::ws_framing::element(xmpp::serialize(x.el));
    if (!http::ws::valid_utf8(text)) continue;
    std::string frame = http::ws::encode(http::ws::opcode::text, text);
    std::size_t head = frame.size() - text.size();
    std::string masked = frame.substr(0, head);
    masked[1] = static_cast<char>(masked[1] | 0x80);
    masked += std::string("\x01\x02\x03\x04", 4);
    for (std::size_t k = 0; k < text.size(); ++k) masked.push_back(static_cast<char>(text[k] ^ "\x01\x02\x03\x04"[k % 4]));
    http::ws::decoder back(1 << 20, true);
    std::vector<http::ws::event> out;
    back.feed(masked, out);
    if (out.size() != 1 || out[0].data != text) std::abort();
  }
  return 0;
}
