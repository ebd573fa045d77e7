#include "xmpp/router/envelope.hpp"

#include <array>
#include <utility>

#include "xmpp/stream/parser.hpp"

namespace hearth::xmpp {

namespace {

constexpr std::array<std::pair<forward_kind, std::string_view>, 13> kinds{{
    {forward_kind::deliver, "deliver"},
    {forward_kind::account, "account"},
    {forward_kind::carbon_sent, "carbon-sent"},
    {forward_kind::carbon_received, "carbon-received"},
    {forward_kind::presence, "presence"},
    {forward_kind::roster_push, "roster-push"},
    {forward_kind::session, "session"},
    {forward_kind::kick, "kick"},
    {forward_kind::component, "component"},
    {forward_kind::from_component, "from-component"},
    {forward_kind::resume_request, "resume"},
    {forward_kind::handover, "handover"},
    {forward_kind::ack, "ack"},
}};

// A JID's bytes or a number: printable, no space, so that the header splits on spaces.
bool valid_arg(std::string_view a) {
  if (a.empty() || a.size() > 3071) return false;
  for (unsigned char c : a)
    if (c <= 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace

std::optional<std::string> encode_envelope(const envelope& e, std::size_t limit) {
  if (!valid_arg(e.arg)) return std::nullopt;
  std::string_view name;
  for (const auto& [k, n] : kinds)
    if (k == e.kind) name = n;
  std::string out = "x1 ";
  out.append(name).append(" ").append(e.arg).append("\n");
  out += serialize(e.stanza);
  if (out.size() > limit || out.find('\0') != std::string::npos) return std::nullopt;
  return out;
}

std::optional<envelope> decode_envelope(std::string_view text, std::size_t limit) {
  if (text.size() > limit || text.substr(0, 3) != "x1 ") return std::nullopt;
  auto nl = text.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  std::string_view head = text.substr(3, nl - 3);
  auto sp = head.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  std::string_view name = head.substr(0, sp), arg = head.substr(sp + 1);
  if (!valid_arg(arg)) return std::nullopt;
  envelope e;
  bool known = false;
  for (const auto& [k, n] : kinds)
    if (n == name) {
      e.kind = k;
      known = true;
    }
  if (!known) return std::nullopt;
  auto st = parse_fragment(text.substr(nl + 1));
  if (!st) return std::nullopt;
  e.arg = std::string(arg);
  e.stanza = std::move(*st);
  return e;
}

}  // namespace hearth::xmpp
