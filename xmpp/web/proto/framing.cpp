#include "xmpp/web/proto/framing.hpp"

namespace hearth::xmpp::web {

namespace {
constexpr std::string_view primer = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
}

ws_framing::ws_framing(parser_limits limits) : parser_(limits) {
  std::vector<stream_event> ev;
  parser_.feed(primer, ev);
  primer_ = parser_.bytes_fed();
}

bool ws_framing::message(std::string_view text, std::vector<stream_event>& out) {
  if (parser_.failed()) return false;
  const std::size_t first = out.size();
  bool ok = parser_.feed(text, out);
  for (std::size_t i = first; i < out.size(); ++i) {
    stream_event& ev = out[i];
    if (ev.kind != stream_event::stanza || ev.el.ns != ns_framing) continue;
    // RFC 7395 §3.3.1 and §3.6: <open/> and <close/> stand for the stream's start and end.
    if (ev.el.name == "open") {
      ev.kind = stream_event::open;
      ev.el.children.clear();
    } else if (ev.el.name == "close") {
      ev.kind = stream_event::close;
    }
  }
  if (!ok) return false;
  // §3.3.3: a message is whole elements; a stanza left open would join the next message.
  if (!parser_.hibernate() && !parser_.failed()) {
    stream_event err;
    err.condition = "not-well-formed";
    out.push_back(std::move(err));
    // The parser is left as it is; the session ends the stream on this error.
    return false;
  }
  return true;
}

std::string ws_framing::open(std::string_view from, std::string_view id) {
  return "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='" + escape(from) + "' id='" + escape(id) +
         "' version='1.0' xml:lang='en'/>";
}

std::string ws_framing::close() { return "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>"; }

std::string ws_framing::element(std::string_view xml) {
  if (xml.size() < 2 || xml[0] != '<') return std::string(xml);
  const std::size_t name_end = xml.find_first_of(" \t\r\n/>", 1);
  if (name_end == std::string_view::npos) return std::string(xml);
  const std::string_view name = xml.substr(1, name_end - 1);
  const std::size_t tag_end = xml.find('>');  // escape() leaves no '>' inside attribute values
  const std::string_view start_tag = xml.substr(0, tag_end);
  std::string decl;
  if (name.starts_with("stream:")) {
    if (start_tag.find("xmlns:stream=") == std::string_view::npos)
      decl = " xmlns:stream='http://etherx.jabber.org/streams'";
  } else if (name.find(':') == std::string_view::npos && start_tag.find(" xmlns=") == std::string_view::npos) {
    // Written with jabber:client in scope and so without a declaration: stanzas.
    decl = " xmlns='jabber:client'";
  }
  if (decl.empty()) return std::string(xml);
  std::string out;
  out.reserve(xml.size() + decl.size());
  out.append(xml.substr(0, name_end));
  out.append(decl);
  out.append(xml.substr(name_end));
  return out;
}

std::string ws_framing::error(std::string_view condition) {
  return "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><" + std::string(condition) +
         " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>";
}

}  // namespace hearth::xmpp::web
