// POST /api/v1/account/password: the user changes their own password.
#include "auth/authenticator.hpp"
#include "auth/password.hpp"
#include "core/log/log.hpp"
#include "directory/directory.hpp"
#include "web/endpoints.hpp"
#include "web/session_store.hpp"

namespace hearth::web {
namespace {

// Long enough that the throttle's budget of guesses gets nowhere; the upper bound is auth's.
constexpr std::size_t min_new_password = 10;

http::response change_password(const services& s, call& c) {
  const std::string* current = body_string(c, "current");
  const std::string* fresh = body_string(c, "new");
  if (!current || !fresh) return fail_with(400, "invalid", "current and new are required");
  if (fresh->size() < min_new_password)
    return fail_with(400, "invalid", "the new password needs at least " + std::to_string(min_new_password) + " characters");
  if (fresh->size() > auth::max_password_size) return fail_with(400, "invalid", "the new password is too long");
  // The current password again: a browser left signed in must not be enough to take the
  // account over. Through the authenticator, so guesses here are throttled like any login.
  auth::context ctx;
  ctx.proto = "web";
  ctx.remote_ip = c.req.remote_ip;
  ctx.tls = c.req.tls;
  auto res = s.authn.check_account_password(ctx, c.who.address, *current);
  http::response r;
  if (res.result == auth::outcome::blocked) {
    r = fail_with(429, "blocked", "too many failed attempts; try again later");
  } else if (res.result != auth::outcome::ok) {
    r = fail_with(403, "wrong_password", "the current password is wrong");
  } else {
    auto old = s.dir.credentials(c.who.address);
    if (!old) return fail_with(404, "not_found", "the account no longer exists");
    // New Argon2id and SCRAM keys at once (every protocol checks the new password from now
    // on). The SCRAM salt stays: app passwords were derived with it, and SCRAM can announce
    // only one salt per account.
    auto set = s.dir.set_credentials(c.who.address, auth::derive_credentials(*fresh, *old));
    if (!set) return fail_with(503, "unavailable", set.error().message);
    // Whoever else is signed in with the old password is signed out; this browser stays.
    auto ended = s.sessions.remove_all(c.who.address, c.who.session_token);
    log::info("web.password", {{"user", c.who.address}, {"ip", c.req.remote_ip},
                               {"sessions_ended", std::to_string(ended ? *ended : 0)}});
    r = no_content();
  }
  r.delay = res.delay;
  return r;
}

}  // namespace

void add_password_endpoints(api& a, const services& s, const options&) {
  a.add({"POST", "/api/v1/account/password", access::user, [s](call& c) { return change_password(s, c); }});
}

}  // namespace hearth::web
