// Origins, the public URLs, XEP-0156 host-meta documents, and route registration.
#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "xmpp/stream/xml.hpp"
#include "xmpp/web/web.hpp"

namespace hearth::xmpp::web {

http::upgrade_decision websocket_upgrade(const http::request& req, const std::shared_ptr<c2s_service>& svc,
                                         const web_options& o);
class bosh_service;
std::shared_ptr<bosh_service> make_bosh_service(std::shared_ptr<c2s_service> svc, std::shared_ptr<const web_options> o);
boost::asio::awaitable<http::response> bosh_handle(bosh_service& b, http::request req);

namespace {
std::string authority(const web_options& o) {
  return o.https_port == 443 ? o.hostname : o.hostname + ":" + std::to_string(o.https_port);
}
}  // namespace

bool origin_allowed(const web_options& o, const std::string& origin_header) {
  // RFC 6454 §7: "null" or a serialized origin, scheme://host[:port], compared as ASCII
  // lowercase; a browser sends exactly one.
  const std::string origin = util::to_lower(util::trim(origin_header));
  if (!o.origins.empty()) {
    for (const auto& allowed : o.origins)
      if (allowed == "*" || util::to_lower(allowed) == origin) return true;
    return false;
  }
  // Default: this server's own https origins.
  constexpr std::string_view scheme = "https://";
  if (!origin.starts_with(scheme)) return false;
  std::string host = origin.substr(scheme.size());
  std::uint16_t port = 443;
  if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos) {
    try {
      port = static_cast<std::uint16_t>(std::stoul(host.substr(colon + 1)));
    } catch (...) {
      return false;
    }
    host.resize(colon);
  }
  if (port != o.https_port || host.empty()) return false;
  if (host == util::to_lower(o.hostname)) return true;
  return o.is_local_domain && o.is_local_domain(host);
}

std::string websocket_url(const web_options& o) { return "wss://" + authority(o) + "/xmpp-websocket"; }
std::string bosh_url(const web_options& o) { return "https://" + authority(o) + "/http-bind"; }

std::string host_meta_xrd(const web_options& o) {
  // XEP-0156 §3.2 (RFC 6415 host-meta).
  return "<?xml version='1.0' encoding='utf-8'?>\n"
         "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n"
         "  <Link rel='urn:xmpp:alt-connections:websocket' href='" +
         escape(websocket_url(o)) + "'/>\n  <Link rel='urn:xmpp:alt-connections:xbosh' href='" + escape(bosh_url(o)) +
         "'/>\n</XRD>\n";
}

std::string host_meta_json(const web_options& o) {
  // URLs from the host name (a DNS name: no quotes or backslashes to escape in JSON).
  return "{\"links\":[{\"rel\":\"urn:xmpp:alt-connections:websocket\",\"href\":\"" + websocket_url(o) +
         "\"},{\"rel\":\"urn:xmpp:alt-connections:xbosh\",\"href\":\"" + bosh_url(o) + "\"}]}\n";
}

void register_routes(http::router& routes, http::live_routes& live, std::shared_ptr<c2s_service> svc,
                     web_options opts) {
  auto o = std::make_shared<const web_options>(std::move(opts));
  live.add_upgrade("/xmpp-websocket",
                   [svc, o](const http::request& req) { return websocket_upgrade(req, svc, *o); });
  auto bosh = make_bosh_service(svc, o);
  live.add_async("/http-bind", [bosh](http::request req) { return bosh_handle(*bosh, std::move(req)); });
  // XEP-0156 §3.2: any page may read where to connect (the browser client runs on some other
  // origin), hence Access-Control-Allow-Origin: *.
  auto doc = [o](bool json) {
    return [o, json](const http::request&) {
      auto r = json ? http::response::text(200, host_meta_json(*o), "application/json")
                    : http::response::text(200, host_meta_xrd(*o), "application/xrd+xml; charset=utf-8");
      r.headers.emplace_back("Access-Control-Allow-Origin", "*");
      return r;
    };
  };
  routes.add({{"GET"}, "/.well-known/host-meta", false, std::nullopt, doc(false)});
  routes.add({{"GET"}, "/.well-known/host-meta.json", false, std::nullopt, doc(true)});
}

}  // namespace hearth::xmpp::web
