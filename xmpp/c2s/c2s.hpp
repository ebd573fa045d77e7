// Client-to-server sessions (RFC 6120) on 5222 (STARTTLS required) and 5223 (direct TLS,
// XEP-0368): stream negotiation, SASL through the shared authenticator, resource binding,
// legacy session establishment, stream management with resumption (XEP-0198), client state
// indication (XEP-0352), per-connection stanza rate limits; stanzas go to the hub.
#pragma once
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "core/net/server.hpp"
#include "xmpp/stream/parser.hpp"

namespace hearth::auth {
class authenticator;
}

namespace hearth::xmpp::sasl2 {
class token_store;
}

namespace hearth::xmpp {

class hub;

struct c2s_options {
  parser_limits limits;                           // stanza size/depth/attributes
  std::size_t max_unauthenticated_bytes = 64 * 1024;
  std::chrono::seconds handshake_timeout{30};
  std::chrono::seconds auth_timeout{60};          // idle limit before bind
  std::chrono::seconds idle_timeout{900};         // idle limit after bind (whitespace pings count)
  std::chrono::seconds resume_timeout{300};       // XEP-0198 resumption window
  // Several nodes: how long a resumption waits for the node holding the session to hand it
  // over before it fails (item-not-found) and the client binds anew.
  std::chrono::seconds handover_timeout{5};
  double stanzas_per_second = 50;                 // sustained rate; bursts up to 4x; 0 = no limit
  std::size_t max_queue = 10000;                  // stanzas waiting for a slow client
  // FAST tokens (XEP-0484) for SASL2 logins; null = SASL2 and Bind2 without FAST. Must outlive
  // the service.
  sasl2::token_store* fast_tokens = nullptr;
  std::chrono::seconds fast_token_lifetime{std::chrono::hours(24 * 30)};
};

// The shared state of all c2s listeners (the XEP-0198 resumption table); lives as long as
// the server (put it in serve_context::keep).
class c2s_service;
std::shared_ptr<c2s_service> make_c2s_service(hub& h, auth::authenticator& authn, c2s_options opts);
// The handler for one listener; the connection is TLS already for 5223.
net::handler c2s_handler(std::shared_ptr<c2s_service> svc);

}  // namespace hearth::xmpp
