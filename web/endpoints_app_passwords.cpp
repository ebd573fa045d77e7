// App passwords: GET|POST /api/v1/account/app-passwords, DELETE .../{id}.
#include "auth/password.hpp"
#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "directory/directory.hpp"
#include "web/endpoints.hpp"

namespace hearth::web {
namespace {

http::response list(const services& s, call& c) {
  json::array items;
  for (const auto& ap : s.dir.app_passwords(c.who.address)) {
    json::object o;
    o.set("id", ap.id);
    o.set("label", ap.name);
    o.set("created", ap.created);
    o.set("last_used", ap.last_used ? json::value(*ap.last_used) : json::value());
    items.push_back(json::value(std::move(o)));
  }
  json::object top;
  top.set("app_passwords", json::value(std::move(items)));
  return ok(json::value(std::move(top)));
}

http::response create(const services& s, call& c) {
  const std::string* label = body_string(c, "label");
  if (!label || label->empty()) return fail_with(400, "invalid", "label is required");
  // An app password outlives the session and opens IMAP, SMTP and the rest: the page asks for
  // the account password again (a browser left signed in should not hand one out). Scripts
  // that send only {"label"} keep working, so "current" is checked when it is sent.
  if (c.body.find("current"))
    if (auto refused = confirm_password(s, c, "current")) return std::move(*refused);
  auto main = s.dir.credentials(c.who.address);
  if (!main) return fail_with(404, "not_found", "the account no longer exists");
  std::string pw = crypto::generate_password();
  // The account's SCRAM salt, so that SCRAM logins work with the app password too.
  auto added = s.dir.add_app_password(c.who.address, *label, auth::derive_credentials(pw, *main));
  if (!added) {
    const auto& code = added.error().code;
    if (code == "directory.exists") return fail_with(409, "exists", "an app password with this label exists");
    if (code == "directory.invalid") return fail_with(400, "invalid", added.error().message);
    return fail_with(503, "unavailable", added.error().message);
  }
  log::info("web.app_password", {{"user", c.who.address}, {"event", "create"}, {"label", added->name}});
  json::object o;
  o.set("id", added->id);
  o.set("label", added->name);
  o.set("password", pw);  // shown once: only its hashes are kept
  return ok(json::value(std::move(o)), 201);
}

http::response revoke(const services& s, call& c) {
  const std::string id = c.param("id");
  // Looked up among the caller's own app passwords only: another account's id is "not found".
  for (const auto& ap : s.dir.app_passwords(c.who.address)) {
    if (std::to_string(ap.id) != id) continue;
    auto r = s.dir.revoke_app_password(c.who.address, ap.name);
    if (!r) return fail_with(503, "unavailable", r.error().message);
    log::info("web.app_password", {{"user", c.who.address}, {"event", "revoke"}, {"label", ap.name}});
    return no_content();
  }
  return fail_with(404, "not_found", "no such app password");
}

}  // namespace

void add_app_password_endpoints(api& a, const services& s, const options&) {
  a.add({"GET", "/api/v1/account/app-passwords", access::user, [s](call& c) { return list(s, c); }});
  a.add({"POST", "/api/v1/account/app-passwords", access::user, [s](call& c) { return create(s, c); }});
  a.add({"DELETE", "/api/v1/account/app-passwords/{id}", access::user, [s](call& c) { return revoke(s, c); }});
}

}  // namespace hearth::web
