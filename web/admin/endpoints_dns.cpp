// GET /api/v1/admin/dns/{domain}: the records to publish (the plan of `hearth dns zone`) next
// to the live results of `hearth dns check`, each FAIL with its fix.
#include "web/admin/admin.hpp"

namespace hearth::web::admin {
namespace {

using sp = std::shared_ptr<const services>;

http::response dns(const services& s, call& c) {
  auto dom = s.dir.find_domain(c.param("domain"));
  if (!dom) return fail_with(404, "not_found", "no such domain");
  auto r = s.server.dns(dom->name);
  if (!r) {
    if (r.error().code.starts_with("zone.")) return store_error(r.error());
    // The resolver could not start: a server problem the admin must read, not a bug.
    return fail_with(503, "dns_unavailable", r.error().message);
  }
  json::array records, checks, notes;
  for (const auto& x : r->records) {
    json::object o;
    o.set("name", x.name).set("type", x.type).set("ttl", static_cast<std::uint64_t>(r->ttl)).set("value", x.value)
        .set("comment", x.comment).set("group", x.group);
    records.push_back(json::value(std::move(o)));
  }
  std::uint64_t oks = 0, warnings = 0, failures = 0;
  for (const auto& f : r->checks) {
    (f.level == "ok" ? oks : f.level == "warn" ? warnings : failures)++;
    json::object o;
    o.set("level", f.level).set("what", f.what).set("detail", f.detail).set("fix", f.fix);
    checks.push_back(json::value(std::move(o)));
  }
  for (const auto& n : r->notes) notes.push_back(n);
  json::object summary;
  summary.set("ok", oks).set("warnings", warnings).set("failures", failures);
  json::object o;
  o.set("domain", r->domain)
      .set("records", json::value(std::move(records)))
      .set("zone", r->zone_text)
      .set("notes", json::value(std::move(notes)))
      .set("checks", json::value(std::move(checks)))
      .set("summary", json::value(std::move(summary)));
  return ok(json::value(std::move(o)));
}

}  // namespace

void add_dns_endpoints(api& a, const sp& s) {
  a.add({"GET", "/api/v1/admin/dns/{domain}", access::admin, [s](call& c) { return dns(*s, c); }});
}

}  // namespace hearth::web::admin
