#include "web/api.hpp"

#include <catch2/catch.hpp>

using namespace hearth::web;

TEST_CASE("api: path patterns") {
  auto m = match_pattern("/api/v1/account/app-passwords/{id}", "/api/v1/account/app-passwords/17");
  REQUIRE(m);
  CHECK(m->at("id") == "17");
  CHECK(match_pattern("/api/v1/account", "/api/v1/account"));
  CHECK_FALSE(match_pattern("/api/v1/account", "/api/v1/account/"));
  CHECK_FALSE(match_pattern("/api/v1/account", "/api/v1/accounts"));
  CHECK_FALSE(match_pattern("/api/v1/account/app-passwords/{id}", "/api/v1/account/app-passwords/"));
  CHECK_FALSE(match_pattern("/api/v1/account/app-passwords/{id}", "/api/v1/account/app-passwords/1/x"));
  auto two = match_pattern("/api/v1/admin/domains/{domain}/dkim/{selector}", "/api/v1/admin/domains/x.test/dkim/s1");
  REQUIRE(two);
  CHECK(two->at("domain") == "x.test");
  CHECK(two->at("selector") == "s1");
}

TEST_CASE("api: cookies") {
  CHECK(cookie_value("a=1; __Host-hearth=tok; b=2", "__Host-hearth") == "tok");
  CHECK(cookie_value("__Host-hearth=first;__Host-hearth=second", "__Host-hearth") == "first");
  CHECK(cookie_value("x__Host-hearth=no; y", "__Host-hearth").empty());
  CHECK(cookie_value("", "__Host-hearth").empty());
  CHECK(cookie_value("  __Host-hearth = spaced ", "__Host-hearth") == "spaced");
}

TEST_CASE("api: the error shape and the security headers") {
  auto r = fail_with(403, "csrf", "missing or wrong X-CSRF-Token");
  CHECK(r.status == 403);
  CHECK(r.body == R"({"error":{"code":"csrf","message":"missing or wrong X-CSRF-Token"}})");
  add_security_headers(r);
  auto has = [&](std::string name, std::string part) {
    for (auto& [k, v] : r.headers)
      if (k == name && v.find(part) != std::string::npos) return true;
    return false;
  };
  CHECK(has("Content-Security-Policy", "script-src 'self'"));
  CHECK(has("Content-Security-Policy", "frame-ancestors 'none'"));
  CHECK_FALSE(has("Content-Security-Policy", "unsafe-inline"));
  CHECK(has("X-Frame-Options", "DENY"));
  CHECK(has("Referrer-Policy", "no-referrer"));
  CHECK(has("Content-Type", "application/json"));
}
