// GET /api/v1/admin/status: the version, the listeners (service, addresses, port, TLS mode)
// and the certificates with their expiry, read from the files the server serves.
#include "web/admin/admin.hpp"
#include "web/admin/cert_info.hpp"

namespace hearth::web::admin {
namespace {

using sp = std::shared_ptr<const services>;

http::response status(const services& s, call&) {
  json::array listeners;
  for (auto svc : config::all_services) {
    const auto& l = s.cfg.listen(svc);
    if (l.port == 0) continue;
    json::array addrs;
    for (const auto& a : s.cfg.bind_addresses(svc)) addrs.push_back(a);
    json::object o;
    o.set("service", config::service_name(svc))
        .set("addresses", json::value(std::move(addrs)))
        .set("port", static_cast<int>(l.port))
        .set("tls", config::service_tls(svc) == config::tls_mode::implicit ? "implicit" : "starttls");
    listeners.push_back(json::value(std::move(o)));
  }
  json::array certs;
  for (const auto& c : s.cfg.certificates) {
    json::array hosts;
    for (const auto& h : c.hosts) hosts.push_back(h);
    json::object o;
    o.set("hosts", json::value(std::move(hosts))).set("file", c.cert_file.string());
    if (auto info = read_certificate(c.cert_file)) {
      o.set("subject", info->subject).set("issuer", info->issuer).set("not_after", info->not_after);
    } else {
      o.set("error", info.error().message);
    }
    certs.push_back(json::value(std::move(o)));
  }
  json::object o;
  o.set("version", s.version)
      .set("hostname", s.cfg.hostname)
      .set("listeners", json::value(std::move(listeners)))
      .set("certificates", json::value(std::move(certs)));
  return ok(json::value(std::move(o)));
}

}  // namespace

void add_status_endpoints(api& a, const sp& s) {
  a.add({"GET", "/api/v1/admin/status", access::admin, [s](call& c) { return status(*s, c); }});
}

}  // namespace hearth::web::admin
