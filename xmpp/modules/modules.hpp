// The XEPs, one file each (STYLE.md: "Adding a XEP means adding a file"). Each file defines
// one install_* function that registers its iq handlers, hooks and disco features on the hub;
// install_all() calls them all. Stream-level XEPs (0198 stream management, 0352 CSI) live in
// the c2s session; group chat (0045) is its own folder, muc/ (a component on conference.DOMAIN).
#pragma once
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "xmpp/router/hub.hpp"

namespace hearth::xmpp::modules {

void install_all(hub& h);

void install_disco(hub& h);     // XEP-0030 service discovery, XEP-0115 is answered by disco
void install_ping(hub& h);      // XEP-0199
void install_version(hub& h);   // XEP-0092
void install_time(hub& h);      // XEP-0202
void install_last(hub& h);      // XEP-0012
void install_vcard(hub& h);     // XEP-0054 vcard-temp (and XEP-0153 avatars, stored in it)
void install_private(hub& h);   // XEP-0049 private XML (XEP-0048 bookmarks live there)
void install_blocking(hub& h);  // XEP-0191
void install_carbons(hub& h);   // XEP-0280
void install_mam(hub& h);       // XEP-0313 (urn:xmpp:mam:2)
void install_pep(hub& h);       // XEP-0163 PEP, XEP-0084 avatars, nick, OMEMO, XEP-0402 bookmarks

// XEP-0215 external services (a STUN/TURN server for calls). Installed by app before
// install_all (its feature counts in the server's caps); nothing when host is empty.
struct extdisco_options {
  std::string host;            // the STUN/TURN server's name or address
  unsigned port = 3478;
  std::string turn_secret;     // coturn's static-auth-secret; empty = STUN only
  std::chrono::seconds credential_ttl{86400};
};
void install_extdisco(hub& h, extdisco_options o);

// Helpers shared by modules.
// XEP-0004 submitted form values by var (FORM_TYPE included).
std::map<std::string, std::vector<std::string>> form_values(const element* x);
// XEP-0082 date-time to microseconds since the epoch; nullopt when malformed.
std::optional<std::int64_t> parse_xep82(std::string_view s);

}  // namespace hearth::xmpp::modules
