// /api/v1/admin/accounts: list, add, show, change (password, disabled, quota, name, admin
// flag), delete; an account's logins; failed logins and blocks of every account.
#include <algorithm>

#include "auth/password.hpp"
#include "core/log/log.hpp"
#include "web/admin/admin.hpp"

namespace hearth::web::admin {
namespace {

using sp = std::shared_ptr<const services>;

// A password longer than this is a mistake or an attack on Argon2id's time.
constexpr std::size_t max_password = 1024;

json::value account_json(const directory::account& a) {
  json::object o;
  o.set("address", a.address)
      .set("display_name", a.display_name)
      .set("quota_bytes", a.quota_bytes)
      .set("disabled", a.disabled)
      .set("admin", a.admin)
      .set("created", a.created);
  return json::value(std::move(o));
}

std::optional<http::response> bad_password(const std::string& pw) {
  if (pw.empty()) return fail_with(400, "invalid", "the password is empty");
  if (pw.size() > max_password) return fail_with(400, "invalid", "the password is over 1024 octets");
  return std::nullopt;
}

http::response list(const services& s, call&) {
  json::array out;
  for (const auto& a : s.dir.accounts()) out.push_back(account_json(a));
  json::object o;
  o.set("accounts", json::value(std::move(out)));
  return ok(json::value(std::move(o)));
}

http::response add(const services& s, call& c) {
  const std::string* address = body_string(c, "address");
  const std::string* password = body_string(c, "password");
  if (!address || !password) return fail_with(400, "invalid", "give \"address\" and \"password\" as strings");
  if (auto bad = bad_password(*password)) return *bad;
  std::int64_t quota = 0;
  if (body_has(c, "quota_bytes")) {
    auto q = body_int(c, "quota_bytes");
    if (!q || *q < 0) return fail_with(400, "invalid", "\"quota_bytes\" is a number of bytes, 0 for no limit");
    quota = *q;
  }
  const std::string* name = body_string(c, "display_name");
  auto r = s.dir.add_account(*address, auth::derive_credentials(*password), name ? *name : "", quota);
  if (!r) return store_error(r.error());
  log::info("web.admin", {{"admin", c.who.address}, {"event", "account_add"}, {"account", r->address}});
  return ok(account_json(*r), 201);
}

http::response show(const services& s, call& c) {
  auto a = s.dir.find_account(c.param("address"));
  if (!a) return fail_with(404, "not_found", "no such account");
  json::array aliases;
  std::string domain = a->address.substr(a->address.find('@') + 1);
  for (const auto& al : s.dir.aliases(domain))
    if (std::find(al.targets.begin(), al.targets.end(), a->address) != al.targets.end()) aliases.push_back(al.source);
  json::object o;
  o.set("account", account_json(*a))
      .set("aliases", json::value(std::move(aliases)))
      .set("app_passwords", static_cast<std::uint64_t>(s.dir.app_passwords(a->address).size()));
  return ok(json::value(std::move(o)));
}

// Every field is optional; each is a complete change of its own, applied in this order, and the
// first refusal stops (those before it stay applied).
http::response change(const services& s, call& c) {
  auto a = s.dir.find_account(c.param("address"));
  if (!a) return fail_with(404, "not_found", "no such account");
  const json::object* o = c.body.as_object();
  if (!o || o->size() == 0)
    return fail_with(400, "invalid", "give any of \"password\", \"disabled\", \"quota_bytes\", \"display_name\", \"admin\"");
  for (const auto& [k, v] : o->members())
    if (k != "password" && k != "disabled" && k != "quota_bytes" && k != "display_name" && k != "admin")
      return fail_with(400, "invalid", "unknown field \"" + k + "\"");
  if (body_has(c, "password")) {
    const std::string* pw = body_string(c, "password");
    if (!pw) return fail_with(400, "invalid", "\"password\" is a string");
    if (auto bad = bad_password(*pw)) return *bad;
    // Keep the account's SCRAM salt when it can be read: its app passwords share it, and
    // SCRAM announces one salt per account. A disabled account's credentials cannot be read;
    // it gets a fresh salt.
    auto old = s.dir.credentials(a->address);
    auto creds = old ? auth::derive_credentials(*pw, *old) : auth::derive_credentials(*pw);
    if (auto r = s.dir.set_credentials(a->address, creds); !r) return store_error(r.error());
  }
  if (body_has(c, "disabled")) {
    auto d = body_bool(c, "disabled");
    if (!d) return fail_with(400, "invalid", "\"disabled\" is true or false");
    if (auto r = s.dir.set_disabled(a->address, *d); !r) return store_error(r.error());
  }
  if (body_has(c, "quota_bytes")) {
    auto q = body_int(c, "quota_bytes");
    if (!q || *q < 0) return fail_with(400, "invalid", "\"quota_bytes\" is a number of bytes, 0 for no limit");
    if (auto r = s.dir.set_quota(a->address, *q); !r) return store_error(r.error());
  }
  if (body_has(c, "display_name")) {
    const std::string* n = body_string(c, "display_name");
    if (!n) return fail_with(400, "invalid", "\"display_name\" is a string");
    if (auto r = s.dir.set_display_name(a->address, *n); !r) return store_error(r.error());
  }
  if (body_has(c, "admin")) {
    auto adm = body_bool(c, "admin");
    if (!adm) return fail_with(400, "invalid", "\"admin\" is true or false");
    // The last word on who administers the server stays with the server's shell: an admin
    // cannot lock everyone out by taking their own flag.
    if (!*adm && a->address == c.who.address)
      return fail_with(409, "conflict", "you cannot take your own admin flag; another admin or `hearth user admin` can");
    if (auto r = s.dir.set_admin(a->address, *adm); !r) return store_error(r.error());
  }
  std::string fields;
  for (const auto& [k, v] : o->members()) fields += (fields.empty() ? "" : ",") + k;
  log::info("web.admin", {{"admin", c.who.address}, {"event", "account_change"}, {"account", a->address}, {"fields", fields}});
  auto now = s.dir.find_account(a->address);
  if (!now) return fail_with(404, "not_found", "no such account");
  return ok(account_json(*now));
}

http::response remove(const services& s, call& c) {
  std::string address = c.param("address");
  if (auto a = s.dir.find_account(address); a && a->address == c.who.address)
    return fail_with(409, "conflict", "you cannot delete your own account here");
  auto r = s.dir.remove_account(address);
  if (!r) return store_error(r.error());
  log::info("web.admin", {{"admin", c.who.address}, {"event", "account_delete"}, {"account", address}});
  return no_content();
}

json::value event_json(const directory::login_event& e, const std::string* address) {
  json::object o;
  if (address) o.set("address", *address);
  o.set("at", e.at).set("ip", e.ip).set("proto", e.proto).set("event", e.event);
  return json::value(std::move(o));
}

http::response logins(const services& s, call& c) {
  auto a = s.dir.find_account(c.param("address"));
  if (!a) return fail_with(404, "not_found", "no such account");
  json::array known, events;
  for (const auto& l : s.dir.login_addresses(a->address)) {
    json::object o;
    o.set("ip", l.ip).set("first_seen", l.first_seen).set("last_seen", l.last_seen);
    known.push_back(json::value(std::move(o)));
  }
  for (const auto& e : s.dir.login_events(a->address, directory::max_login_events)) events.push_back(event_json(e, nullptr));
  json::object o;
  o.set("address", a->address).set("known_addresses", json::value(std::move(known))).set("events", json::value(std::move(events)));
  return ok(json::value(std::move(o)));
}

// The authentication failures and blocked addresses of every account, newest first.
http::response auth_failures(const services& s, call&) {
  constexpr std::size_t per_account = 50, total = 500;
  std::vector<std::pair<std::string, directory::login_event>> rows;
  for (const auto& a : s.dir.accounts())
    for (auto& e : s.dir.login_events(a.address, per_account)) rows.emplace_back(a.address, std::move(e));
  std::stable_sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return x.second.at > y.second.at; });
  if (rows.size() > total) rows.resize(total);
  json::array out;
  for (const auto& [address, e] : rows) out.push_back(event_json(e, &address));
  json::object o;
  o.set("events", json::value(std::move(out)));
  return ok(json::value(std::move(o)));
}

}  // namespace

void add_account_endpoints(api& a, const sp& s) {
  a.add({"GET", "/api/v1/admin/accounts", access::admin, [s](call& c) { return list(*s, c); }});
  a.add({"POST", "/api/v1/admin/accounts", access::admin, [s](call& c) { return add(*s, c); }});
  a.add({"GET", "/api/v1/admin/accounts/{address}", access::admin, [s](call& c) { return show(*s, c); }});
  a.add({"PATCH", "/api/v1/admin/accounts/{address}", access::admin, [s](call& c) { return change(*s, c); }});
  a.add({"DELETE", "/api/v1/admin/accounts/{address}", access::admin, [s](call& c) { return remove(*s, c); }});
  a.add({"GET", "/api/v1/admin/accounts/{address}/logins", access::admin, [s](call& c) { return logins(*s, c); }});
  a.add({"GET", "/api/v1/admin/auth-failures", access::admin, [s](call& c) { return auth_failures(*s, c); }});
}

}  // namespace hearth::web::admin
