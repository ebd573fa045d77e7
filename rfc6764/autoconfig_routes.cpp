// The HTTPS routes of the autoconfiguration documents (see autoconfig.hpp for the list).
#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "directory/address.hpp"
#include "rfc6764/autoconfig.hpp"
#include "rfc6764/mta_sts.hpp"

namespace hearth::rfc6764 {
namespace {

// The throttle may ask for a long pause; a blocking-pool thread should not sleep longer than
// this for one request (the client is refused again anyway if it keeps trying).
constexpr std::chrono::milliseconds max_auth_delay{5000};

struct state {
  config::config cfg;
  directory::directory& dir;
  auth::authenticator& authn;
};

http::response not_found() { return http::response::text(404, "Not Found\n"); }

http::response xml(int status, std::string body) {
  return http::response::text(status, std::move(body), "text/xml; charset=utf-8");
}

// The local domain (ACE) named by `name`, or nullopt when it is malformed or not ours.
std::optional<std::string> local_domain(directory::directory& dir, std::string_view name) {
  auto normalized = directory::normalize_domain(name);
  if (!normalized) return std::nullopt;
  auto d = dir.find_domain(*normalized);
  if (!d) return std::nullopt;
  return d->name;
}

// "autoconfig.example.org" -> "example.org"; a host without the prefix is taken as the domain.
std::string_view strip_prefix(std::string_view host, std::string_view prefix) {
  return util::istarts_with(host, prefix) ? host.substr(prefix.size()) : host;
}

// Directory failures throw (directory.hpp): answer "try later", never "not found".
template <class F>
http::handler guarded(const char* what, F f) {
  return [what, f = std::move(f)](const http::request& req) -> http::response {
    try {
      return f(req);
    } catch (const error_exception& e) {
      log::error("autoconfig.fail", {{"doc", what}, {"error", e.err().message}, {"ip", req.remote_ip}});
      return http::response::text(503, "Service Unavailable\n");
    }
  };
}

// Thunderbird: the domain comes from ?emailaddress=, else from Host (autoconfig.DOMAIN).
http::response thunderbird(const state& s, const http::request& req) {
  std::string name;
  if (auto email = http::query_param(req.query, "emailaddress")) {
    auto at = email->rfind('@');
    if (at == std::string::npos) return http::response::text(400, "emailaddress is not an email address\n");
    name = email->substr(at + 1);
  } else {
    name = std::string(strip_prefix(req.host, "autoconfig."));
  }
  auto domain = local_domain(s.dir, name);
  if (!domain) return not_found();
  log::debug("autoconfig", {{"doc", "thunderbird"}, {"domain", *domain}, {"ip", req.remote_ip}});
  return xml(200, thunderbird_config(s.cfg, *domain));
}

http::response autodiscover(const state& s, const http::request& req) {
  auto email = parse_autodiscover_request(req.body);
  if (!email) {
    const auto& code = email.error().code;
    if (code == "autodiscover.too_large") return http::response::text(413, "Content Too Large\n");
    // [MS-OXDSCLI]: a schema we do not provide is error 601; anything else is 600.
    if (code == "autodiscover.schema") return xml(200, autodiscover_error(601, "Provider is not available"));
    return xml(400, autodiscover_error(600, "Invalid Request"));
  }
  // Only the domain is checked: whether the account exists is not revealed here.
  if (!local_domain(s.dir, directory::domain_of(*email))) return not_found();
  log::debug("autoconfig", {{"doc", "autodiscover"}, {"domain", directory::domain_of(*email)}, {"ip", req.remote_ip}});
  return xml(200, autodiscover_response(s.cfg, *email));
}

http::response unauthorized() {
  auto r = http::response::text(401, "Unauthorized\n");
  // RFC 7617 §2.1: the charset parameter says credentials are UTF-8.
  r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"Hearth\", charset=\"UTF-8\"");
  return r;
}

http::response mobileconfig(const state& s, const http::request& req) {
  auto creds = http::basic_credentials(req);
  if (!creds) return unauthorized();
  auth::context ctx{"http", req.remote_ip, req.tls, std::nullopt};
  auto res = s.authn.check_password(ctx, creds->first, creds->second);
  // Handlers run on the blocking pool, so the throttle's pause can simply be slept here.
  std::this_thread::sleep_for(std::min(res.delay, max_auth_delay));
  switch (res.result) {
    case auth::outcome::ok: break;
    case auth::outcome::blocked: return http::response::text(429, "Too Many Requests\n");
    case auth::outcome::tls_required: return http::response::text(403, "TLS required\n");
    default: return unauthorized();
  }
  auto account = s.dir.find_account(res.address);
  std::string display = account ? account->display_name : std::string();
  log::info("autoconfig", {{"doc", "mobileconfig"}, {"user", res.address}, {"ip", req.remote_ip}});
  auto r = http::response::text(200, apple_mobileconfig(s.cfg, res.address, display), "application/x-apple-aspen-config");
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"hearth.mobileconfig\"");
  // Personal: no shared cache may keep it.
  r.headers.emplace_back("Cache-Control", "private, no-store");
  return r;
}

// PACC is fetched from ua-auto-config.DOMAIN; a bare DOMAIN host is accepted too.
http::response pacc(const state& s, const http::request& req) {
  auto domain = local_domain(s.dir, strip_prefix(req.host, "ua-auto-config."));
  if (!domain) return not_found();
  return http::response::text(200, pacc_document(s.cfg, *domain), "application/json");
}

// RFC 8461 §3.3: the policy is served at https://mta-sts.DOMAIN/.well-known/mta-sts.txt as
// text/plain (the route is only registered for the mta-sts. host prefix).
http::response mta_sts(const state& s, const http::request& req) {
  if (!local_domain(s.dir, strip_prefix(req.host, "mta-sts."))) return not_found();
  return http::response::text(200, mta_sts_policy(s.cfg), "text/plain");
}

}  // namespace

void register_routes(http::router& r, const config::config& c, directory::directory& dir, auth::authenticator& authn) {
  auto s = std::make_shared<const state>(state{c, dir, authn});
  auto add = [&](std::vector<std::string> methods, std::string_view path, std::optional<std::string> host_prefix,
                 const char* what, http::response (*fn)(const state&, const http::request&)) {
    http::route rt;
    rt.methods = std::move(methods);
    rt.path = std::string(path);
    rt.host_prefix = std::move(host_prefix);
    rt.fn = guarded(what, [s, fn](const http::request& req) { return fn(*s, req); });
    r.add(std::move(rt));
  };
  add({"GET"}, thunderbird_path, "autoconfig.", "thunderbird", thunderbird);
  add({"GET"}, thunderbird_well_known_path, std::nullopt, "thunderbird", thunderbird);
  // Clients spell this path in several cases; the router matches exactly, so each spelling
  // in use is registered.
  for (std::string_view p : {autodiscover_path, std::string_view("/Autodiscover/Autodiscover.xml"),
                             std::string_view("/AutoDiscover/AutoDiscover.xml")})
    add({"POST"}, p, std::nullopt, "autodiscover", autodiscover);
  add({"GET"}, mobileconfig_path, std::nullopt, "mobileconfig", mobileconfig);
  add({"GET"}, pacc_path, std::nullopt, "pacc", pacc);
  add({"GET"}, mta_sts_path, "mta-sts.", "mta-sts", mta_sts);
}

}  // namespace hearth::rfc6764
