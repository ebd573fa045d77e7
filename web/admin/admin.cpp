#include "web/admin/admin.hpp"

#include <cmath>

#include "core/log/log.hpp"

namespace hearth::web::admin {

void add_endpoints(api& a, std::shared_ptr<const services> s) {
  add_account_endpoints(a, s);
  add_domain_endpoints(a, s);
  add_alias_endpoints(a, s);
  add_dns_endpoints(a, s);
  add_queue_endpoints(a, s);
  add_status_endpoints(a, s);
  add_filter_endpoints(a, s);
  add_report_endpoints(a, s);
  add_decision_endpoints(a, s);
}

std::optional<caller> token_caller(token_store& tokens, directory::directory& dir, std::string_view token) {
  if (token.size() > max_token_length || !well_formed_token(token)) return std::nullopt;
  auto info = tokens.verify(token);
  if (!info) throw error_exception(info.error());
  if (!*info) return std::nullopt;
  auto acc = dir.find_account((*info)->address);
  if (!acc || acc->disabled) return std::nullopt;
  caller c;
  c.kind = caller::token;
  c.address = acc->address;
  c.admin = acc->admin;
  return c;
}

http::response store_error(const hearth::error& e) {
  const std::string& c = e.code;
  auto dot = c.find('.');
  std::string kind = dot == std::string::npos ? c : c.substr(dot + 1);
  if (kind == "not_found" || kind == "no_account") return fail_with(404, "not_found", e.message);
  if (kind == "exists") return fail_with(409, "exists", e.message);
  if (kind == "conflict" || kind == "not_empty" || kind == "required") return fail_with(409, "conflict", e.message);
  if (kind == "invalid" || kind == "no_domain" || kind == "not_ours") return fail_with(400, "invalid", e.message);
  // A storage failure's detail is for the log, not for the client (STYLE.md habit 6).
  log::error("web.admin.fail", {{"code", c}, {"error", e.message}});
  return fail_with(503, "unavailable", "the server cannot answer now; try again later");
}

std::optional<std::int64_t> body_int(const call& c, std::string_view name) {
  const json::value* v = c.body.find(name);
  const double* d = v ? v->as_number() : nullptr;
  // Integers above 2^53 are not exact as doubles: refused rather than rounded.
  if (!d || std::floor(*d) != *d || std::fabs(*d) > 9007199254740992.0) return std::nullopt;
  return static_cast<std::int64_t>(*d);
}

std::optional<bool> body_bool(const call& c, std::string_view name) {
  const json::value* v = c.body.find(name);
  const bool* b = v ? v->as_bool() : nullptr;
  if (!b) return std::nullopt;
  return *b;
}

bool body_has(const call& c, std::string_view name) { return c.body.find(name) != nullptr; }

}  // namespace hearth::web::admin
