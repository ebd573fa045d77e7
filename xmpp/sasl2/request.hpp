// SASL2 (XEP-0388) with Bind2 (XEP-0386) and FAST (XEP-0484), the pure part: what a client's
// <authenticate/> asks for, and the stream feature that offers it all. No I/O.
//
//   <authenticate xmlns='urn:xmpp:sasl:2' mechanism='SCRAM-SHA-256'>
//     <initial-response>BASE64</initial-response>
//     <user-agent id='UUID'><software>..</software><device>..</device></user-agent>
//     <bind xmlns='urn:xmpp:bind:0'><tag>App</tag></bind>
//     <request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-NONE'/>   (or <fast count= invalidate=/>)
//   </authenticate>
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "xmpp/stream/xml.hpp"

namespace hearth::xmpp::sasl2 {

inline constexpr std::string_view ns_sasl2 = "urn:xmpp:sasl:2";
inline constexpr std::string_view ns_bind2 = "urn:xmpp:bind:0";
inline constexpr std::string_view ns_fast = "urn:xmpp:fast:0";
inline constexpr std::string_view fast_mechanism = "HT-SHA-256-NONE";
inline constexpr std::size_t max_agent_id = 128;  // octets of the user-agent id
inline constexpr std::size_t max_tag = 64;        // octets of the Bind2 tag

struct authenticate_request {
  std::string mechanism;
  std::optional<std::string> initial_response;  // decoded; "" for "=" (RFC 6120 §6.4.2)
  std::string agent_id;                         // "" when no <user-agent id=/>
  std::string software, device;                 // informational, bounded
  bool bind = false;                            // Bind2 asked
  std::string tag;                              // Bind2 <tag/>, checked: printable, no '/'
  bool request_token = false;                   // FAST <request-token mechanism=HT-SHA-256-NONE/>
  bool fast = false;                            // FAST <fast/>: the mechanism uses a token
  bool invalidate = false;                      // <fast invalidate='true'/>
};

// Reads an <authenticate/>. Errors (the session answers <failure/> with the condition in
// code): "malformed-request" (no mechanism, bad base64, a tag or agent id too long or with
// controls, a token request for a mechanism we do not offer, <fast/> without a user-agent id).
result<authenticate_request> parse_authenticate(const element& e);

// The <authentication/> stream feature: the mechanisms, Bind2 and FAST (when `fast`) inline.
std::string feature_xml(const std::vector<std::string>& mechanisms, bool fast);

// The resource Bind2 gives: "TAG." plus a random part (XEP-0386 §3: the server chooses).
std::string bound_resource(std::string_view tag, std::string_view random_part);

}  // namespace hearth::xmpp::sasl2
