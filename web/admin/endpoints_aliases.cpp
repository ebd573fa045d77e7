// /api/v1/admin/aliases: list, add ("x@d", or "@d" for a catch-all, with targets), delete one
// target (?target=ADDRESS) or the whole alias.
#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "web/admin/admin.hpp"

namespace hearth::web::admin {
namespace {

using sp = std::shared_ptr<const services>;

json::value alias_json(const directory::alias& a) {
  json::array targets;
  for (const auto& t : a.targets) targets.push_back(t);
  json::object o;
  o.set("source", a.source).set("catch_all", a.source.starts_with("@")).set("targets", json::value(std::move(targets)));
  return json::value(std::move(o));
}

http::response list(const services& s, call&) {
  json::array out;
  for (const auto& a : s.dir.aliases()) out.push_back(alias_json(a));
  json::object o;
  o.set("aliases", json::value(std::move(out)));
  return ok(json::value(std::move(o)));
}

http::response add(const services& s, call& c) {
  const std::string* source = body_string(c, "source");
  const json::value* t = c.body.find("targets");
  const json::array* arr = t ? t->as_array() : nullptr;
  if (!source || !arr || arr->empty())
    return fail_with(400, "invalid", "give \"source\" and a non-empty \"targets\" array of addresses");
  std::vector<std::string> targets;
  for (const auto& v : *arr) {
    if (!v.as_string()) return fail_with(400, "invalid", "\"targets\" holds addresses as strings");
    targets.push_back(*v.as_string());
  }
  if (auto r = s.dir.add_alias(*source, targets); !r) return store_error(r.error());
  log::info("web.admin", {{"admin", c.who.address}, {"event", "alias_add"}, {"alias", *source}});
  // The alias as stored (normalized source, every target so far).
  auto norm = directory::normalize_address(*source);
  for (const auto& a : s.dir.aliases())
    if ((norm && a.source == *norm) || a.source == util::to_lower(*source)) return ok(alias_json(a), 201);
  return ok(alias_json(directory::alias{*source, targets}), 201);
}

http::response remove(const services& s, call& c) {
  std::string source = c.param("source");
  std::optional<std::string> target;
  if (!c.req.query.empty()) {
    target = http::query_param(c.req.query, "target");
    if (!target || target->empty()) return fail_with(400, "invalid", "the only parameter is target=ADDRESS");
  }
  if (auto r = s.dir.remove_alias(source, target); !r) return store_error(r.error());
  log::info("web.admin", {{"admin", c.who.address}, {"event", "alias_delete"}, {"alias", source}, {"target", target.value_or("")}});
  return no_content();
}

}  // namespace

void add_alias_endpoints(api& a, const sp& s) {
  a.add({"GET", "/api/v1/admin/aliases", access::admin, [s](call& c) { return list(*s, c); }});
  a.add({"POST", "/api/v1/admin/aliases", access::admin, [s](call& c) { return add(*s, c); }});
  a.add({"DELETE", "/api/v1/admin/aliases/{source}", access::admin, [s](call& c) { return remove(*s, c); }});
}

}  // namespace hearth::web::admin
