// The admin half of the web console's API (/api/v1/admin/...), on web/api.hpp's endpoint
// table: the framework has already decided who asks (an admin's session, CSRF checked, or an
// admin API token) and decoded the body; these handlers only read and change the server.
//
//   auto s = std::make_shared<admin::services>(admin::services{cfg, dir, *areas, version});
//   admin::add_endpoints(api, s);                       // before api.install(router)
//   deps.bearer = [&](std::string_view t) { return admin::token_caller(tokens, dir, t); };
//
// Thread-safety: handlers may run on any thread at once (the stores are thread-safe).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/config/config.hpp"
#include "directory/directory.hpp"
#include "web/admin/server_admin.hpp"
#include "web/admin/token_store.hpp"
#include "web/api.hpp"
#include "web/endpoints.hpp"

namespace hearth::web::admin {

struct services {
  const config::config& cfg;
  directory::directory& dir;
  server_admin& server;
  std::string version;  // the binary's version, for the status page
};

// Adds every /api/v1/admin/ endpoint (access::admin) to `a`. `s` is kept by the handlers.
void add_endpoints(api& a, std::shared_ptr<const services> s);

// The caller an API token stands for: its account, while it exists and is enabled, with the
// account's admin flag as it is now (a token of an account that lost the flag gets 403 on
// admin endpoints). nullopt for an unknown, revoked or malformed token (the framework
// answers 401). A storage failure throws (the framework answers 503).
std::optional<caller> token_caller(token_store& tokens, directory::directory& dir, std::string_view token);

// A hearth::error from a store as an answer: *.not_found / *.no_account -> 404 not_found,
// *.exists -> 409 exists, *.conflict / *.not_empty / *.required -> 409 conflict,
// *.invalid / *.no_domain / zone.not_ours -> 400 invalid; anything else (db.*) -> 503
// unavailable, without the detail (it goes to the log).
http::response store_error(const hearth::error& e);

// Members of a JSON body: an integer (a number without fraction, |n| <= 2^53), a bool.
std::optional<std::int64_t> body_int(const call& c, std::string_view name);
std::optional<bool> body_bool(const call& c, std::string_view name);
bool body_has(const call& c, std::string_view name);

// The endpoint groups (one file each).
void add_account_endpoints(api& a, const std::shared_ptr<const services>& s);  // endpoints_accounts.cpp
void add_domain_endpoints(api& a, const std::shared_ptr<const services>& s);   // endpoints_domains.cpp
void add_alias_endpoints(api& a, const std::shared_ptr<const services>& s);    // endpoints_aliases.cpp
void add_dns_endpoints(api& a, const std::shared_ptr<const services>& s);      // endpoints_dns.cpp
void add_queue_endpoints(api& a, const std::shared_ptr<const services>& s);    // endpoints_queue.cpp
void add_status_endpoints(api& a, const std::shared_ptr<const services>& s);   // endpoints_status.cpp
void add_filter_endpoints(api& a, const std::shared_ptr<const services>& s);   // endpoints_filter.cpp
void add_report_endpoints(api& a, const std::shared_ptr<const services>& s);   // endpoints_reports.cpp
void add_decision_endpoints(api& a, const std::shared_ptr<const services>& s); // endpoints_decisions.cpp

}  // namespace hearth::web::admin
