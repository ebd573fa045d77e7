// GET /api/v1/admin/greylist: the greylisting decisions remembered (who waits for a retry,
// who passed), whether greylisting is on, and the blocklists mail is checked against.
#include "web/admin/admin.hpp"

namespace hearth::web::admin {
namespace {

using sp = std::shared_ptr<const services>;

constexpr std::size_t max_entries = 500;

http::response greylist(const services& s, call&) {
  auto all = s.server.greylist(max_entries);
  if (!all) return store_error(all.error());
  json::array out;
  for (const auto& e : *all) {
    json::object o;
    o.set("network", e.network)
        .set("sender", e.sender)
        .set("rcpt", e.rcpt)
        .set("first_seen", e.first_seen)
        .set("expires", e.expires)
        .set("passed", e.passed);
    out.push_back(json::value(std::move(o)));
  }
  json::array ip, domain;
  for (const auto& l : s.cfg.blocklists_ip) ip.push_back(l);
  for (const auto& l : s.cfg.blocklists_domain) domain.push_back(l);
  json::object lists;
  lists.set("ip", json::value(std::move(ip))).set("domain", json::value(std::move(domain)));
  json::object o;
  o.set("enabled", s.cfg.filter_greylist_enabled).set("entries", json::value(std::move(out))).set("blocklists", json::value(std::move(lists)));
  return ok(json::value(std::move(o)));
}

}  // namespace

void add_filter_endpoints(api& a, const sp& s) {
  a.add({"GET", "/api/v1/admin/greylist", access::admin, [s](call& c) { return greylist(*s, c); }});
}

}  // namespace hearth::web::admin
