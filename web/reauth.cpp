// The account password asked again before a change that weakens the account's protection.
#include "auth/authenticator.hpp"
#include "web/endpoints.hpp"

namespace hearth::web {

std::optional<http::response> confirm_password(const services& s, const call& c, std::string_view field) {
  // Someone at a browser left signed in, or holding a stolen cookie, knows no password: turning
  // the second factor off (or replacing its secret) must take what only the owner knows.
  const std::string* password = body_string(c, field);
  if (!password || password->empty())
    return fail_with(403, "password_required", "confirm this change with your password (\"" + std::string(field) + "\")");
  auth::context ctx;
  ctx.proto = "web";
  ctx.remote_ip = c.req.remote_ip;
  ctx.tls = c.req.tls;
  // Through the authenticator: guesses here are throttled like any login.
  auto res = s.authn.check_account_password(ctx, c.who.address, *password);
  if (res.result == auth::outcome::ok) return std::nullopt;
  auto r = res.result == auth::outcome::blocked ? fail_with(429, "blocked", "too many failed attempts; try again later")
                                                 : fail_with(403, "wrong_password", "the password is wrong");
  r.delay = res.delay;
  return r;
}

}  // namespace hearth::web
