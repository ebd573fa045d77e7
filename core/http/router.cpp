#include "core/http/router.hpp"

#include <set>
#include <tuple>

#include "core/crypto/crypto.hpp"
#include "core/http/target.hpp"
#include "core/util/strings.hpp"

namespace hearth::http {
namespace {

bool path_matches(const route& r, std::string_view path) {
  return r.prefix ? path.starts_with(r.path) : path == r.path;
}

bool host_matches(const route& r, std::string_view host) {
  return !r.host_prefix || util::istarts_with(host, *r.host_prefix);
}

// Larger is more specific: host-specific first (a longer host prefix before a shorter one),
// then exact before prefix, then the longer path.
auto rank(const route& r) {
  return std::make_tuple(r.host_prefix.has_value(), r.host_prefix ? r.host_prefix->size() : std::size_t{0},
                         !r.prefix, r.path.size());
}

// Routes registered separately for the same host prefix and path (one per method, say) are one
// resource: 405 and Allow speak about all of them together.
bool same_resource(const route& a, const route& b) {
  return a.prefix == b.prefix && a.path == b.path && a.host_prefix == b.host_prefix;
}

bool lists(const route& r, std::string_view method) {
  for (const auto& m : r.methods)
    if (m == method) return true;
  return false;
}

std::string join_allow(const std::set<std::string>& methods) {
  std::string out;
  for (const auto& m : methods) {
    if (!out.empty()) out += ", ";
    out += m;
  }
  return out;
}

bool has_control(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

}  // namespace

void router::add(route r) { routes_.push_back(std::move(r)); }

response router::dispatch(const request& req) const {
  const route* best = nullptr;
  for (const auto& r : routes_)
    if (host_matches(r, req.host) && path_matches(r, req.path) && (!best || rank(r) > rank(*best))) best = &r;
  if (!best) return response::text(404, "Not Found\n");

  const route* exact_method = nullptr;
  const route* any_method = nullptr;
  const route* get_route = nullptr;
  std::set<std::string> allow;
  for (const auto& r : routes_) {
    if (!same_resource(r, *best)) continue;
    if (r.methods.empty() && !any_method) any_method = &r;
    if (lists(r, req.method) && !exact_method) exact_method = &r;
    if (lists(r, "GET") && !get_route) get_route = &r;
    allow.insert(r.methods.begin(), r.methods.end());
  }
  if (exact_method) return exact_method->fn(req);
  if (any_method) return any_method->fn(req);
  // RFC 9110 §9.3.2: HEAD is GET without the content; the session drops the body.
  if (req.method == "HEAD" && get_route) return get_route->fn(req);

  if (allow.count("GET")) allow.insert("HEAD");
  allow.insert("OPTIONS");
  if (req.method == "OPTIONS") {
    // RFC 9110 §9.3.7: OPTIONS describes the resource; Allow is what a client needs from it.
    response r;
    r.status = 200;
    r.headers.emplace_back("Allow", join_allow(allow));
    return r;
  }
  // RFC 9110 §15.5.6: a 405 MUST carry Allow.
  auto r = response::text(405, "Method Not Allowed\n");
  r.headers.emplace_back("Allow", join_allow(allow));
  return r;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  for (std::string_view part : util::split(query, '&')) {
    std::size_t eq = part.find('=');
    auto key = percent_decode(part.substr(0, eq), true);
    if (!key || *key != name) continue;
    if (eq == std::string_view::npos) return std::string();
    return percent_decode(part.substr(eq + 1), true);
  }
  return std::nullopt;
}

std::optional<std::pair<std::string, std::string>> basic_credentials(const request& req) {
  const std::string value = req.header("authorization");
  std::string_view v = util::trim(value);
  // RFC 9110 §11.4: auth-scheme is case-insensitive, then 1*SP, then the token68.
  constexpr std::string_view scheme = "basic";
  if (v.size() <= scheme.size() || !util::istarts_with(v, scheme) || v[scheme.size()] != ' ') return std::nullopt;
  v = util::trim(v.substr(scheme.size()));
  auto decoded = crypto::base64_decode(v);
  if (!decoded) return std::nullopt;
  // RFC 7617 §2: the user-id cannot contain ':', so the first ':' separates; neither part may
  // contain control characters.
  std::size_t colon = decoded->find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  std::string user = decoded->substr(0, colon);
  std::string password = decoded->substr(colon + 1);
  if (has_control(user) || has_control(password)) return std::nullopt;
  return std::make_pair(std::move(user), std::move(password));
}

}  // namespace hearth::http
