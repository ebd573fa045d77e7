// XMPP over WebSocket framing (RFC 7395), without I/O: each WebSocket text message from the
// client holds one complete element, either <open/> or <close/> in the framing namespace
// (instead of the stream header and its end tag) or a top-level element of the stream; each
// element the server sends goes in its own message, with the namespace declarations it needs
// (§3.3.3: no stream element is in scope).
//
// The client's messages go through the same expat stream parser as TCP (same limits, same
// restricted XML), primed with a stream header the client never sent, so that stanzas resolve
// to jabber:client as on TCP. A message that is not exactly whole elements (one cut in the
// middle) is not-well-formed. Pure; not thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/stream/parser.hpp"

namespace hearth::xmpp::web {

inline constexpr std::string_view ns_framing = "urn:ietf:params:xml:ns:xmpp-framing";

class ws_framing {
 public:
  explicit ws_framing(parser_limits limits);
  // One text message from the client: appends its events (<open/> -> open, with its
  // attributes; <close/> -> close; any other element -> stanza; or an error condition).
  // Returns false once the stream has failed.
  bool message(std::string_view text, std::vector<stream_event>& out);
  // Frees the expat parser between messages (an idle connection keeps none).
  void hibernate() { parser_.hibernate(); }
  std::uint64_t bytes_fed() const { return parser_.bytes_fed() - primer_; }
  bool failed() const { return parser_.failed(); }

  // What the server sends, one message each.
  static std::string open(std::string_view from, std::string_view id);
  static std::string close();
  // A top-level element serialized for a stream (xmpp/stream/xml.hpp: jabber:client in scope,
  // "stream:" prefixes), made to stand alone.
  static std::string element(std::string_view xml);
  static std::string error(std::string_view condition);

 private:
  stream_parser parser_;
  std::uint64_t primer_ = 0;
};

}  // namespace hearth::xmpp::web
