#include "web/api.hpp"

#include <chrono>
#include <cstdio>

#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "directory/directory.hpp"
#include "web/session_store.hpp"

namespace hearth::web {

namespace {

std::vector<std::string_view> segments(std::string_view p) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i <= p.size()) {
    auto j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    out.push_back(p.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

bool changes_state(std::string_view method) { return method != "GET" && method != "HEAD" && method != "OPTIONS"; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

void add_security_headers(http::response& r) {
  // No inline script or style anywhere: the pages load their code from /web/ only, so an
  // injected <script> cannot run. frame-ancestors (and X-Frame-Options for old browsers) stop
  // clickjacking; no-referrer keeps page URLs out of other sites' logs.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                         "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  r.headers.emplace_back("Cross-Origin-Resource-Policy", "same-origin");
}

http::response ok(const json::value& body, int status) {
  auto r = http::response::text(status, body.dump(), "application/json");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

http::response no_content() {
  http::response r;
  r.status = 204;
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

http::response fail_with(int status, std::string_view code, std::string_view message) {
  json::object e;
  e.set("code", std::string(code));
  e.set("message", std::string(message));
  json::object top;
  top.set("error", json::value(std::move(e)));
  return ok(json::value(std::move(top)), status);
}

std::optional<std::map<std::string, std::string>> match_pattern(std::string_view pattern, std::string_view path) {
  auto ps = segments(pattern);
  auto xs = segments(path);
  if (ps.size() != xs.size()) return std::nullopt;
  std::map<std::string, std::string> params;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    auto p = ps[i];
    if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
      if (xs[i].empty()) return std::nullopt;
      params.emplace(std::string(p.substr(1, p.size() - 2)), std::string(xs[i]));
    } else if (p != xs[i]) {
      return std::nullopt;
    }
  }
  return params;
}

std::string cookie_value(std::string_view header, std::string_view name) {
  // RFC 6265 §5.4: "name=value; name2=value2". The first one with our name wins.
  while (!header.empty()) {
    auto semi = header.find(';');
    auto pair = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (trim(pair.substr(0, eq)) == name) return std::string(trim(pair.substr(eq + 1)));
  }
  return {};
}

caller api::identify(const http::request& req) const {
  caller c;
  auto authz = req.header("authorization");
  if (!authz.empty()) {
    if (deps_.bearer && util::istarts_with(authz, "bearer ")) {
      if (auto t = deps_.bearer(trim(std::string_view(authz).substr(7)))) {
        t->kind = caller::token;
        return *t;
      }
    }
    return c;  // a wrong credential is never silently replaced by the cookie
  }
  auto token = cookie_value(req.header("cookie"), cookie_name);
  if (token.empty()) return c;
  auto s = deps_.sessions.find(token, deps_.session_idle);
  if (!s) return c;
  auto acc = deps_.dir.find_account(s->address);
  if (!acc || acc->disabled) return c;  // a disabled account's sessions stop working at once
  c.kind = caller::session;
  c.address = acc->address;
  c.admin = acc->admin;
  c.csrf = s->csrf;
  c.session_token = std::move(token);
  c.expires = s->expires;
  return c;
}

http::response api::dispatch(const http::request& req) const {
  const endpoint* found = nullptr;
  std::map<std::string, std::string> params;
  std::string allow;
  for (const auto& e : endpoints_) {
    auto m = match_pattern(e.pattern, req.path);
    if (!m) continue;
    bool same = e.method == req.method || (req.method == "HEAD" && e.method == "GET");
    if (same && !found) {
      found = &e;
      params = std::move(*m);
    }
    if (allow.find(e.method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + e.method;
  }
  if (!found) {
    if (allow.empty()) return fail_with(404, "not_found", "no such API endpoint");
    auto r = fail_with(405, "method_not_allowed", "this endpoint takes " + allow);
    r.headers.emplace_back("Allow", allow);
    return r;
  }

  call c{req, identify(req), {}, std::move(params)};
  if (found->need != access::anyone && c.who.kind == caller::nobody)
    return fail_with(401, "unauthenticated", "sign in first");
  // A state change riding on the cookie must prove it comes from our own pages (which read
  // the token from the sign-in answer); another site's form or fetch cannot know it.
  if (c.who.kind == caller::session && changes_state(req.method)) {
    auto sent = req.header("x-csrf-token");
    if (sent.empty() || !crypto::constant_time_equal(sent, c.who.csrf))
      return fail_with(403, "csrf", "missing or wrong X-CSRF-Token");
  }
  if (found->need == access::admin && !c.who.admin) return fail_with(403, "forbidden", "administrators only");

  if (!req.body.empty()) {
    auto ct = util::to_lower(req.header("content-type"));
    if (!ct.starts_with("application/json"))
      return fail_with(415, "unsupported_media_type", "send the body as application/json");
    auto v = json::parse(req.body, deps_.body_limits);
    if (!v) {
      if (v.error().code == "json.syntax") return fail_with(400, "bad_json", v.error().message);
      return fail_with(413, "too_large", v.error().message);
    }
    c.body = std::move(*v);
  }
  return found->fn(c);
}

http::response api::handle(const http::request& req) const {
  const auto t0 = std::chrono::steady_clock::now();
  http::response r;
  try {
    r = dispatch(req);
  } catch (const error_exception& e) {
    log::error("web.api.fail", {{"path", req.path}, {"error", e.err().message}, {"ip", req.remote_ip}});
    r = fail_with(503, "unavailable", "the server cannot answer now; try again later");
  } catch (const std::exception& e) {
    log::error("web.api.fail", {{"path", req.path}, {"error", e.what()}, {"ip", req.remote_ip}});
    r = fail_with(500, "internal", "internal error");
  }
  add_security_headers(r);
  // The server's own time for this answer (W3C Server Timing): the browser shows it beside the
  // network's, so "is it the server or the browser?" is answered by the developer tools, and
  // bench/bench_web.py reads it from the page's resource timings.
  char st[48];
  std::snprintf(st, sizeof st, "app;dur=%.2f",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  r.headers.emplace_back("Server-Timing", st);
  return r;
}

void api::install(http::router& r) const {
  for (bool prefix : {false, true}) {
    http::route rt;
    rt.path = prefix ? "/api/v1/" : "/api/v1";
    rt.prefix = prefix;
    rt.fn = [this](const http::request& req) { return handle(req); };
    r.add(std::move(rt));
  }
}

}  // namespace hearth::web
