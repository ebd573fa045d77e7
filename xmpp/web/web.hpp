// XMPP for web browsers on the HTTPS listener: XMPP over WebSocket (RFC 7395) on
// /xmpp-websocket and BOSH (XEP-0124/0206) on /http-bind, both running the same c2s session
// as TCP (xmpp/c2s/link.hpp); and XEP-0156 discovery (/.well-known/host-meta and
// host-meta.json) naming both.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/http/live_routes.hpp"
#include "core/http/router.hpp"

namespace hearth::xmpp {
class c2s_service;
}

namespace hearth::xmpp::web {

struct web_options {
  // Origins allowed to connect ("https://chat.example.org", "*" for any). Empty: the server's
  // own https origins: https://HOST[:PORT] for the host name and every hosted domain.
  std::vector<std::string> origins;
  std::string hostname;            // the server's host name (the URLs in host-meta)
  std::uint16_t https_port = 443;  // the HTTPS listener's port
  std::size_t max_message = 256 * 1024;  // largest WebSocket message (close 1009 above)
  // Whether a domain is hosted here (may block briefly: the directory).
  std::function<bool(const std::string&)> is_local_domain;
};

// Whether a browser page from `origin` may connect (RFC 6455 §10.2). A request without an
// Origin header comes from a program, not a page, and is let through.
bool origin_allowed(const web_options& o, const std::string& origin);

// The public URLs: wss://HOST[:PORT]/xmpp-websocket and https://HOST[:PORT]/http-bind.
std::string websocket_url(const web_options& o);
std::string bosh_url(const web_options& o);

// XEP-0156 documents (pure).
std::string host_meta_xrd(const web_options& o);
std::string host_meta_json(const web_options& o);

// Registers /xmpp-websocket and /http-bind on `live` and the host-meta
// documents on `routes`. The service must outlive the server.
void register_routes(http::router& routes, http::live_routes& live, std::shared_ptr<c2s_service> svc,
                     web_options opts);

}  // namespace hearth::xmpp::web
