// The vacation reply and filters form: GET|PUT /api/v1/account/sieve. The form becomes a Sieve
// script (web/sieve_form.hpp) stored and activated through the same store and compile check as
// ManageSieve's PUTSCRIPT and SETACTIVE.
#include "core/log/log.hpp"
#include "web/endpoints.hpp"
#include "web/sieve_form.hpp"

namespace hearth::web {
namespace {

json::value form_json(const sieve_form::form& f) {
  auto v = json::parse(sieve_form::to_json(f), json::limits{});
  return v ? *v : json::value();
}

http::response get(const services& s, call& c) {
  json::object out;
  out.set("available", s.sieve.has_value());
  if (!s.sieve) return ok(json::value(std::move(out)));
  auto active = s.sieve->active(c.who.address);
  if (!active) return fail_with(503, "unavailable", active.error().message);
  sieve_form::form f;
  bool foreign = false;
  if (*active) {
    auto mine = sieve_form::from_script((*active)->second);
    if (mine) f = std::move(*mine);
    else foreign = true;
  }
  // Another client's script is active: the page says so instead of overwriting it unasked.
  out.set("other_script", foreign ? json::value((*active)->first) : json::value());
  out.set("form", form_json(f));
  return ok(json::value(std::move(out)));
}

http::response put(const services& s, call& c) {
  if (!s.sieve) return fail_with(404, "not_found", "Sieve is not available on this server");
  auto f = sieve_form::from_json(c.body.dump());
  if (!f) return fail_with(400, "invalid", f.error().message);
  auto active = s.sieve->active(c.who.address);
  if (!active) return fail_with(503, "unavailable", active.error().message);
  const json::value* replace = c.body.find("replace");
  if (*active && !sieve_form::from_script((*active)->second) && !(replace && replace->as_bool() && *replace->as_bool()))
    return fail_with(409, "sieve_in_use", "the script \"" + (*active)->first + "\" from another program is active; send replace: true to use the form instead");
  auto r = s.sieve->install(c.who.address, std::string(sieve_form::script_name), sieve_form::to_script(*f));
  if (!r) {
    if (r.error().code == "sieve.invalid") return fail_with(400, "invalid", r.error().message);
    return fail_with(503, "unavailable", r.error().message);
  }
  log::info("web.sieve", {{"user", c.who.address}, {"vacation", f->vacation ? "on" : "off"},
                          {"filters", std::to_string(f->filters.size())}});
  json::object out;
  out.set("available", true).set("other_script", json::value()).set("form", form_json(*f));
  return ok(json::value(std::move(out)));
}

}  // namespace

void add_sieve_endpoints(api& a, const services& s, const options&) {
  a.add({"GET", "/api/v1/account/sieve", access::user, [s](call& c) { return get(s, c); }});
  a.add({"PUT", "/api/v1/account/sieve", access::user, [s](call& c) { return put(s, c); }});
}

}  // namespace hearth::web
