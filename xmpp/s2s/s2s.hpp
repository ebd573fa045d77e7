// Server-to-server federation (RFC 6120 §13, XEP-0220, XEP-0185, XEP-0368):
// incoming streams on 5269 (STARTTLS) and 5270 (direct TLS) authenticate the remote domain by
// SASL EXTERNAL when it presented a certificate valid for its domain (RFC 6120 §13.7.1.2.1;
// only on 5269, where the STARTTLS handshake asks for one), else by Server Dialback; outgoing streams are found through SRV (_xmpps-server._tcp first, then
// _xmpp-server._tcp, then the domain itself on 5269), use TLS (the certificate is verified
// and the result logged; dialback authenticates us either way), queue stanzas while they come
// up, close when idle, and bounce remote-server-not-found when the remote cannot be reached;
// a stream the remote closes before anything was sent is retried with exponential backoff, then
// its stanzas bounce remote-server-timeout.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/net/server.hpp"
#include "xmpp/stream/parser.hpp"

namespace hearth::dns {
class resolver;
}

namespace hearth::xmpp {

class hub;

struct s2s_options {
  parser_limits limits;
  std::string dialback_secret;                 // XEP-0185 keys; the server's persistent secret
  std::string ca_file;                         // extra CA trusted for remote certificates ("" = system only)
  std::string cert_file, key_file;             // our certificate, presented to remote servers (SASL EXTERNAL)
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds handshake_timeout{30};  // each negotiation step
  std::chrono::seconds idle_timeout{300};      // outgoing and incoming streams with no traffic
  std::size_t max_queue = 1000;                // stanzas waiting for an outgoing stream
  // An outgoing stream that ends before it could send anything is tried again after
  // retry_delay, doubling up to retry_max_delay; after give_up of such failures the waiting
  // stanzas bounce with remote-server-timeout.
  std::chrono::seconds retry_delay{1};
  std::chrono::seconds retry_max_delay{120};
  std::chrono::seconds give_up{600};
  std::uint16_t default_port = 5269;           // RFC 6120 §3.2.2 fallback without SRV
};

// XEP-0185 §3: hex(HMAC-SHA256(hex(SHA256(secret)), receiving ' ' originating ' ' stream id)).
std::string dialback_key(std::string_view secret, std::string_view receiving, std::string_view originating,
                         std::string_view stream_id);

class s2s_service;
std::shared_ptr<s2s_service> make_s2s_service(boost::asio::any_io_executor ex, hub& h, dns::resolver& res,
                                              s2s_options opts);
// Queues a stanza (jabber:client, from= local, to= remote) for its domain's outgoing stream.
void s2s_send(s2s_service& svc, element stanza);
// The handler for 5269 (plain first) and 5270 (TLS already).
net::handler s2s_handler(std::shared_ptr<s2s_service> svc);
// Makes the coming TLS handshake on `c` ask for the remote server's certificate (checked by the
// session afterwards; a missing or unverifiable one means dialback, so the handshake never
// fails on it). Done by the session before STARTTLS on 5269; `hearth serve` installs it as the
// before-handshake hook of 5270 (direct TLS).
void s2s_request_client_certificate(net::connection& c);

}  // namespace hearth::xmpp
