#include "xmpp/stream/jid.hpp"

#include "core/util/strings.hpp"

namespace hearth::xmpp {

std::optional<jid> jid::parse(std::string_view s) {
  constexpr std::size_t max_part = 1023;  // RFC 7622 §3.1
  jid j;
  auto slash = s.find('/');
  std::string_view rest = s.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view res = s.substr(slash + 1);
    if (res.empty() || res.size() > max_part) return std::nullopt;
    j.resource = std::string(res);
  }
  auto at = rest.find('@');
  std::string_view dom = rest;
  if (at != std::string_view::npos) {
    std::string_view loc = rest.substr(0, at);
    if (loc.empty() || loc.size() > max_part) return std::nullopt;
    // RFC 7622 §3.3.1: these may not appear in a localpart.
    for (char c : loc)
      if (c == '"' || c == '&' || c == '\'' || c == '/' || c == ':' || c == '<' || c == '>' || c == '@' ||
          static_cast<unsigned char>(c) <= 0x20)
        return std::nullopt;
    j.local = util::to_lower(loc);
    dom = rest.substr(at + 1);
  }
  if (!dom.empty() && dom.back() == '.') dom.remove_suffix(1);  // RFC 7622 §3.2: trailing dot
  if (dom.empty() || dom.size() > max_part) return std::nullopt;
  for (char c : dom)
    if (c == '@' || c == '/' || static_cast<unsigned char>(c) <= 0x20) return std::nullopt;
  j.domain = util::to_lower(dom);
  return j;
}

}  // namespace hearth::xmpp
