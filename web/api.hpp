// The /api/v1 framework: a table of endpoints (method, path pattern with {params}, who may call
// it) on top of core/http's router. Handlers get the caller and the parsed JSON body and return
// an http::response (use ok()/fail_with() below); the framework does everything that must never
// be forgotten, in one place, before any handler runs:
//   - who is calling: the session cookie (or, when a bearer check is installed, an API token);
//     access::user answers 401 "unauthenticated" without one, access::admin also 403
//     "forbidden" for a user who is not an administrator (read from the directory each time,
//     so `hearth user admin ADDRESS off` takes effect at once);
//   - CSRF: every method but GET/HEAD with a session cookie needs X-CSRF-Token equal to the
//     session's token (403 "csrf"); bearer tokens are not sent by browsers on their own, so
//     they need none;
//   - bodies: JSON only (415 "unsupported_media_type"), at most json::limits (413
//     "too_large"), well-formed (400 "bad_json");
//   - the error shape {"error":{"code","message"}} and the security headers on every answer.
//
//   api a(deps);
//   a.add({"GET", "/api/v1/account", access::user, [](call& c) { return ok(...); }});
//   a.add({"DELETE", "/api/v1/account/app-passwords/{id}", access::user, ...});  // c.param("id")
//   a.install(router);
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/router.hpp"
#include "core/json/json.hpp"

namespace hearth::directory {
class directory;
}

namespace hearth::web {

class session_store;

enum class access { anyone, user, admin };

struct caller {
  enum kind_t { nobody, session, token } kind = nobody;
  std::string address;  // the account (empty for nobody)
  bool admin = false;
  std::string csrf;          // the session's CSRF token (kind == session)
  std::string session_token; // the cookie's value (kind == session), to end this session
  std::int64_t expires = 0;  // when the session ends at the latest (kind == session)
};

// One call of an endpoint.
struct call {
  const http::request& req;
  caller who;
  json::value body;                           // null when the request had no body
  std::map<std::string, std::string> params;  // from {name} segments, percent-decoded
  std::string param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
};

using endpoint_fn = std::function<http::response(call&)>;

struct endpoint {
  std::string method;   // "GET", "POST", "DELETE", ...
  std::string pattern;  // "/api/v1/account/app-passwords/{id}": a {name} matches one segment
  access need = access::user;
  endpoint_fn fn;
};

// The session cookie's name. "__Host-" (RFC 6265bis §4.1.3.2): browsers accept it only with
// Secure, Path=/ and no Domain, so a sibling host cannot plant one.
inline constexpr std::string_view cookie_name = "__Host-hearth";

// Answers. `status` 2xx with a JSON body; 204 has none.
http::response ok(const json::value& body, int status = 200);
http::response no_content();
// The error shape. Stable codes are listed in docs/api.md.
http::response fail_with(int status, std::string_view code, std::string_view message);
// Adds the headers every answer of the web console carries (CSP, frame-ancestors,
// Referrer-Policy, nosniff; core/http adds HSTS).
void add_security_headers(http::response& r);

// Matches a path against a pattern; the {name} values on success. Pure, for tests.
std::optional<std::map<std::string, std::string>> match_pattern(std::string_view pattern, std::string_view path);
// The value of cookie `name` in a Cookie header, or empty.
std::string cookie_value(std::string_view header, std::string_view name);

struct api_deps {
  directory::directory& dir;
  session_store& sessions;
  // Checks "Authorization: Bearer TOKEN" (admin API tokens); empty = bearer tokens refused.
  std::function<std::optional<caller>(std::string_view token)> bearer;
  json::limits body_limits{};
  // A session unused this long is not accepted any more (0 = no idle limit).
  std::chrono::seconds session_idle{0};
};

class api {
 public:
  explicit api(api_deps deps) : deps_(std::move(deps)) {}
  void add(endpoint e) { endpoints_.push_back(std::move(e)); }
  // Routes /api/v1 and everything under it to handle(). Call once, after every add().
  void install(http::router& r) const;
  // Thread-safe once serving (the table does not change).
  http::response handle(const http::request& req) const;
  api_deps& deps() { return deps_; }

 private:
  http::response dispatch(const http::request& req) const;
  caller identify(const http::request& req) const;

  api_deps deps_;
  std::vector<endpoint> endpoints_;
};

}  // namespace hearth::web
