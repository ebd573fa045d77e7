// The pure part of external components (XEP-0114, jabber:component:accept): the handshake
// digest and the check of what a connected component may send. No I/O; fuzzed by
// tests/fuzz/fuzz_xmpp_component.cpp.
#pragma once
#include <string>
#include <string_view>

#include "xmpp/stream/xml.hpp"

namespace hearth::xmpp::component {

inline constexpr std::string_view ns_accept = "jabber:component:accept";

// XEP-0114 §3: the component proves it knows the secret with hex(SHA-1(stream id + secret)).
std::string handshake_digest(std::string_view stream_id, std::string_view secret);
// Whether `received` (the <handshake/> text, hex in either case, surrounding white space
// ignored) is that digest. Constant time in the digest's content.
bool handshake_matches(std::string_view stream_id, std::string_view secret, std::string_view received);

// Checks a stanza a component sent (already in the jabber:client namespace) before it is
// routed. Returns "" when it may go, else the stream error condition (RFC 6120 §4.9.3):
// unsupported-stanza-type for anything but message/presence/iq, improper-addressing for a
// missing or malformed to=, invalid-from when from= is not the component's domain or a JID at
// it (XEP-0114 §3: a component speaks only for its own domain).
std::string check_outbound(const element& stanza, std::string_view domain);

}  // namespace hearth::xmpp::component
