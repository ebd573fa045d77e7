// JIDs (RFC 7622): local@domain/resource. Hearth's local parts are email local parts, so the
// local part and the domain are compared ASCII case-insensitively (stored lowercase); the
// resource is kept as given. Full PRECIS profiles are not applied (non-ASCII is kept as is).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace hearth::xmpp {

struct jid {
  std::string local, domain, resource;

  // nullopt when malformed: empty domain, empty local part or resource after a separator,
  // a part longer than 1023 bytes, or forbidden characters in the local part.
  static std::optional<jid> parse(std::string_view s);

  std::string bare() const { return local.empty() ? domain : local + "@" + domain; }
  std::string full() const { return resource.empty() ? bare() : bare() + "/" + resource; }
  jid to_bare() const { return jid{local, domain, {}}; }
  bool is_bare() const { return resource.empty(); }
  bool is_domain() const { return local.empty() && resource.empty(); }
  bool operator==(const jid&) const = default;
};

}  // namespace hearth::xmpp
