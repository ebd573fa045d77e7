#include "web/web.hpp"

#include "web/endpoints.hpp"
#include "web/pages.hpp"

namespace hearth::web {

std::string session_cookie(std::string_view token, std::chrono::seconds lifetime) {
  // HttpOnly: page scripts never see it (they get the CSRF token instead); Secure and the
  // __Host- prefix: HTTPS only, this host only; SameSite=Strict: no other site's link or form
  // carries it.
  return std::string(cookie_name) + "=" + std::string(token) + "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(lifetime.count());
}

std::string expired_cookie() {
  return std::string(cookie_name) + "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0";
}

const std::string* body_string(const call& c, std::string_view name) { return c.body.find_string(name); }

std::shared_ptr<api> install(http::router& r, const services& s, const options& o) {
  auto a = std::make_shared<api>(api_deps{s.dir, s.sessions, s.bearer, {}, o.session_idle});
  add_session_endpoints(*a, s, o);
  add_account_endpoints(*a, s, o);
  add_password_endpoints(*a, s, o);
  add_app_password_endpoints(*a, s, o);
  add_totp_endpoints(*a, s, o);
  add_device_endpoints(*a, s, o);
  add_sieve_endpoints(*a, s, o);
  if (s.more_endpoints) s.more_endpoints(*a);
  a->install(r);
  // The shell carries the answer of GET /api/v1/session (the same code, the same checks).
  std::weak_ptr<api> weak = a;
  add_pages(r, [weak](const http::request& req) -> std::string {
    auto self = weak.lock();
    if (!self || req.header("cookie").empty()) return {};
    http::request q;
    q.method = "GET";
    q.path = q.target = "/api/v1/session";
    q.remote_ip = req.remote_ip;
    q.tls = req.tls;
    q.headers["cookie"] = req.header("cookie");
    auto r = self->handle(q);
    return r.status == 200 ? r.body : std::string();
  });
  return a;
}

}  // namespace hearth::web
