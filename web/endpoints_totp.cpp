// The second factor: GET|POST|DELETE /api/v1/account/totp, POST /api/v1/account/totp/confirm,
// and the check at sign-in (second_factor()).
#include <chrono>

#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "web/endpoints.hpp"
#include "web/qr.hpp"
#include "web/totp.hpp"
#include "web/totp_store.hpp"

namespace hearth::web {
namespace {

// After this many wrong codes in a row, codes are refused for lockout_seconds: a million
// codes cannot be tried five at a time.
constexpr int max_failures = 5;
constexpr std::int64_t lockout_seconds = 300;
// RFC 4226 §4 R6: at least 128 bits of secret; 160 as RFC 6238's SHA-1 examples use.
constexpr std::size_t secret_bytes = 20;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

http::response status(const services& s, call& c) {
  auto t = s.totp.get(c.who.address);
  json::object o;
  o.set("enabled", t && t->enabled);
  return ok(json::value(std::move(o)));
}

http::response begin(const services& s, const options& o, call& c) {
  // A new secret turns the second factor off until it is confirmed: while it is on, that
  // takes the password as much as turning it off does.
  if (auto t = s.totp.get(c.who.address); t && t->enabled)
    if (auto refused = confirm_password(s, c)) return std::move(*refused);
  std::string secret = crypto::random_bytes(secret_bytes);
  if (auto r = s.totp.set_pending(c.who.address, secret); !r) return fail_with(503, "unavailable", r.error().message);
  json::object out;
  out.set("secret", totp::base32(secret));
  const std::string uri = totp::uri(o.totp_issuer, c.who.address, secret);
  out.set("uri", uri);
  auto code = qr::encode(uri);
  out.set("qr", code ? json::value(qr::svg_data_uri(*code)) : json::value());
  return ok(json::value(std::move(out)), 201);
}

http::response confirm(const services& s, call& c) {
  const std::string* code = body_string(c, "code");
  if (!code) return fail_with(400, "invalid", "code is required");
  auto t = s.totp.get(c.who.address);
  if (!t) return fail_with(404, "not_found", "start with POST /api/v1/account/totp");
  auto step = totp::verify(t->secret, *code, now_seconds(), t->last_step);
  if (!step) return fail_with(400, "wrong_code", "this code does not match; check the phone's clock and try the next one");
  if (auto r = s.totp.enable(c.who.address, *step); !r) return fail_with(503, "unavailable", r.error().message);
  log::info("web.totp", {{"user", c.who.address}, {"event", "enabled"}});
  return no_content();
}

http::response disable(const services& s, call& c) {
  if (auto refused = confirm_password(s, c)) return std::move(*refused);
  if (auto r = s.totp.remove(c.who.address); !r) return fail_with(503, "unavailable", r.error().message);
  log::info("web.totp", {{"user", c.who.address}, {"event", "disabled"}});
  return no_content();
}

}  // namespace

std::optional<http::response> second_factor(const services& s, const std::string& address, const std::string* code) {
  auto t = s.totp.get(address);
  if (!t || !t->enabled) return std::nullopt;
  const std::int64_t now = now_seconds();
  if (t->failures >= max_failures && now - t->last_failure < lockout_seconds)
    return fail_with(429, "blocked", "too many wrong codes; try again in a few minutes");
  if (!code || code->empty()) return fail_with(401, "totp_required", "enter the code from your authenticator app");
  auto step = totp::verify(t->secret, *code, now, t->last_step);
  if (!step) {
    (void)s.totp.failed(address, now);
    log::info("web.totp", {{"user", address}, {"event", "wrong_code"}});
    return fail_with(401, "totp_required", "this code is wrong or was used already");
  }
  if (auto r = s.totp.accepted(address, *step); !r) return fail_with(503, "unavailable", r.error().message);
  return std::nullopt;
}

void add_totp_endpoints(api& a, const services& s, const options& o) {
  a.add({"GET", "/api/v1/account/totp", access::user, [s](call& c) { return status(s, c); }});
  a.add({"POST", "/api/v1/account/totp", access::user, [s, o](call& c) { return begin(s, o, c); }});
  a.add({"POST", "/api/v1/account/totp/confirm", access::user, [s](call& c) { return confirm(s, c); }});
  a.add({"DELETE", "/api/v1/account/totp", access::user, [s](call& c) { return disable(s, c); }});
}

}  // namespace hearth::web
