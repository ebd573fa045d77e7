// Sign-in and sign-out: POST/GET/DELETE /api/v1/session, DELETE /api/v1/sessions.
#include "auth/authenticator.hpp"
#include "core/log/log.hpp"
#include "directory/directory.hpp"
#include "web/endpoints.hpp"
#include "web/session_store.hpp"

namespace hearth::web {
namespace {

json::value session_json(const std::string& address, bool admin, const std::string& csrf, std::int64_t expires,
                         const options& opt) {
  json::object o;
  o.set("csrf", csrf);
  o.set("address", address);
  o.set("admin", admin);
  o.set("expires", expires);
  o.set("idle", static_cast<std::int64_t>(opt.session_idle.count()));
  return json::value(std::move(o));
}

http::response sign_in(const services& s, const options& o, call& c) {
  const std::string* address = body_string(c, "address");
  const std::string* password = body_string(c, "password");
  if (!address || !password || address->empty() || password->empty())
    return fail_with(400, "invalid", "address and password are required");
  // The same authenticator as IMAP, SMTP and XMPP: the same throttle (failures here count
  // against the account and the address everywhere), but only the account password: an app
  // password made for a phone must not open the account's settings.
  auth::context ctx;
  ctx.proto = "web";
  ctx.remote_ip = c.req.remote_ip;
  ctx.tls = c.req.tls;
  auto res = s.authn.check_account_password(ctx, *address, *password);
  http::response r;
  if (res.result == auth::outcome::blocked) {
    r = fail_with(429, "blocked", "too many failed sign-ins; try again later");
  } else if (res.result != auth::outcome::ok) {
    r = fail_with(401, "login_failed", "wrong address or password");
  } else if (auto refused = second_factor(s, res.address, body_string(c, "totp"))) {
    r = std::move(*refused);
  } else {
    auto acc = s.dir.find_account(res.address);
    auto created = s.sessions.create(res.address, c.req.remote_ip, o.session_lifetime);
    if (!acc || !created) {
      r = fail_with(503, "unavailable", "the server cannot sign you in now; try again later");
    } else {
      log::info("web.session", {{"user", res.address}, {"ip", c.req.remote_ip}, {"event", "sign_in"}});
      // Ended sessions go at each sign-in, so the table stays as small as the live ones.
      (void)s.sessions.purge_expired();
      r = ok(session_json(acc->address, acc->admin, created->info.csrf, created->info.expires, o));
      r.headers.emplace_back("Set-Cookie", session_cookie(created->token, o.session_lifetime));
    }
  }
  r.delay = res.delay;
  return r;
}

}  // namespace

void add_session_endpoints(api& a, const services& s, const options& o) {
  a.add({"POST", "/api/v1/session", access::anyone, [s, o](call& c) { return sign_in(s, o, c); }});

  // The page asks this on load: the cookie is HttpOnly, so this is how it learns who is signed
  // in and the CSRF token (other origins cannot read the answer: no CORS).
  a.add({"GET", "/api/v1/session", access::user, [o](call& c) {
           // identify() found the session already: no second lookup.
           if (c.who.kind != caller::session) return fail_with(401, "unauthenticated", "no session");
           return ok(session_json(c.who.address, c.who.admin, c.who.csrf, c.who.expires, o));
         }});

  a.add({"DELETE", "/api/v1/session", access::user, [s](call& c) {
           if (c.who.kind == caller::session) {
             if (auto r = s.sessions.remove(c.who.session_token); !r) return fail_with(503, "unavailable", r.error().message);
             log::info("web.session", {{"user", c.who.address}, {"ip", c.req.remote_ip}, {"event", "sign_out"}});
           }
           auto r = no_content();
           r.headers.emplace_back("Set-Cookie", expired_cookie());
           return r;
         }});

  // Log out everywhere: every browser signed in to this account.
  a.add({"DELETE", "/api/v1/sessions", access::user, [s](call& c) {
           auto n = s.sessions.remove_all(c.who.address);
           if (!n) return fail_with(503, "unavailable", n.error().message);
           log::info("web.session", {{"user", c.who.address}, {"ip", c.req.remote_ip}, {"event", "sign_out_everywhere"},
                                     {"count", std::to_string(*n)}});
           auto r = no_content();
           r.headers.emplace_back("Set-Cookie", expired_cookie());
           return r;
         }});
}

}  // namespace hearth::web
