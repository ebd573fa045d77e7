// External components (XEP-0114, jabber:component:accept): a program that serves a domain of
// its own (a push app server, a gateway, a bot service) connects to the component port, proves
// the shared secret with the handshake, and from then on every stanza to its domain goes to it
// and what it sends is routed like the server's own components' stanzas (hub components).
//
// The domains are registered with the hub at start, connected or not: the server's disco#items
// lists them, s2s accepts streams for them, and while a component is away its messages and iqs
// bounce with service-unavailable. One connection per component; a second one is refused
// with <conflict/> while the first lives.
//
// Thread-safety: the service is shared by the hub (any thread) and the sessions (their strands).
#pragma once
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/net/server.hpp"
#include "xmpp/stream/parser.hpp"

namespace hearth::xmpp {
class hub;
}

namespace hearth::xmpp::component {

struct definition {
  std::string domain;  // lower case
  std::string name;    // disco#items name
  std::string secret;
};

struct options {
  parser_limits limits;
  std::chrono::seconds handshake_timeout{30};  // from the TCP connection to a valid handshake
  std::chrono::seconds idle_timeout{900};      // a connected component with no traffic (whitespace counts)
  std::size_t max_queue = 10000;               // stanzas waiting for a component that does not read
  std::uint64_t max_unauthenticated_bytes = 16 * 1024;  // before the handshake succeeded
  std::chrono::milliseconds failure_delay{1000};  // before a wrong handshake is answered
};

class service;
// Registers every component's domain with the hub (call before the listeners start).
std::shared_ptr<service> install(hub& h, std::vector<definition> defs, options opts);
// The handler of the component listener (plain TCP).
net::handler handler(std::shared_ptr<service> svc);

}  // namespace hearth::xmpp::component
