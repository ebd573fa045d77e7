// /api/v1/admin/domains: list, add (with DKIM keys, as `hearth domain add`), delete; and
// /api/v1/admin/dkim/{domain}: the keys with their records, and new keys (rotation).
#include "core/log/log.hpp"
#include "web/admin/admin.hpp"

namespace hearth::web::admin {
namespace {

using sp = std::shared_ptr<const services>;

json::value domain_json(const directory::domain& d) {
  json::object o;
  o.set("name", d.name).set("display", d.display).set("created", d.created);
  return json::value(std::move(o));
}

json::value dkim_json(const std::vector<dkim_entry>& keys) {
  json::array out;
  for (const auto& k : keys) {
    json::object rec;
    rec.set("name", k.record_name).set("type", "TXT").set("value", k.record_value);
    json::object o;
    o.set("selector", k.selector).set("algorithm", k.algorithm).set("created", k.created).set("record", json::value(std::move(rec)));
    out.push_back(json::value(std::move(o)));
  }
  return json::value(std::move(out));
}

http::response list(const services& s, call&) {
  json::array out;
  for (const auto& d : s.dir.domains()) {
    json::object o;
    o.set("name", d.name)
        .set("display", d.display)
        .set("created", d.created)
        .set("accounts", static_cast<std::uint64_t>(s.dir.accounts(d.name).size()));
    out.push_back(json::value(std::move(o)));
  }
  json::object o;
  o.set("domains", json::value(std::move(out)));
  return ok(json::value(std::move(o)));
}

http::response add(const services& s, call& c) {
  const std::string* name = body_string(c, "name");
  if (!name) return fail_with(400, "invalid", "give \"name\" as a string");
  auto d = s.dir.add_domain(*name);
  if (!d) return store_error(d.error());
  log::info("web.admin", {{"admin", c.who.address}, {"event", "domain_add"}, {"domain", d->name}});
  // A new domain signs its mail from the start: the records to publish come back at once.
  auto keys = s.server.dkim_generate(d->name);
  if (!keys) log::error("web.admin.dkim", {{"domain", d->name}, {"error", keys.error().message}});
  json::object o;
  o.set("domain", domain_json(*d)).set("dkim", keys ? dkim_json(*keys) : json::value(json::array()));
  return ok(json::value(std::move(o)), 201);
}

http::response remove(const services& s, call& c) {
  std::string name = c.param("name");
  auto r = s.dir.remove_domain(name);
  if (!r) return store_error(r.error());
  log::info("web.admin", {{"admin", c.who.address}, {"event", "domain_delete"}, {"domain", name}});
  return no_content();
}

http::response dkim_list(const services& s, call& c) {
  auto d = s.dir.find_domain(c.param("domain"));
  if (!d) return fail_with(404, "not_found", "no such domain");
  auto keys = s.server.dkim(d->name);
  if (!keys) return store_error(keys.error());
  json::object o;
  o.set("domain", d->name).set("keys", dkim_json(*keys));
  return ok(json::value(std::move(o)));
}

http::response dkim_generate(const services& s, call& c) {
  auto d = s.dir.find_domain(c.param("domain"));
  if (!d) return fail_with(404, "not_found", "no such domain");
  auto keys = s.server.dkim_generate(d->name);
  if (!keys) return store_error(keys.error());
  log::info("web.admin", {{"admin", c.who.address}, {"event", "dkim_generate"}, {"domain", d->name}});
  json::object o;
  o.set("domain", d->name).set("added", dkim_json(*keys));
  return ok(json::value(std::move(o)), 201);
}

}  // namespace

void add_domain_endpoints(api& a, const sp& s) {
  a.add({"GET", "/api/v1/admin/domains", access::admin, [s](call& c) { return list(*s, c); }});
  a.add({"POST", "/api/v1/admin/domains", access::admin, [s](call& c) { return add(*s, c); }});
  a.add({"DELETE", "/api/v1/admin/domains/{name}", access::admin, [s](call& c) { return remove(*s, c); }});
  a.add({"GET", "/api/v1/admin/dkim/{domain}", access::admin, [s](call& c) { return dkim_list(*s, c); }});
  a.add({"POST", "/api/v1/admin/dkim/{domain}", access::admin, [s](call& c) { return dkim_generate(*s, c); }});
}

}  // namespace hearth::web::admin
