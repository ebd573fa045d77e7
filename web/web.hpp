// The web console: the /api/v1 JSON API and the pages, served on the HTTPS port.
//
//   auto console = web::install(router, {dir, authn, *sessions}, {});   // keep it while serving
//
// The pages are static files built into the binary (web/assets/, served under /web/ and at
// "/"); they use only the API. docs/api.md is the API's reference; HACKING.md says how to
// add an endpoint or a page.
#pragma once
#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/http/router.hpp"
#include "core/util/result.hpp"
#include "web/api.hpp"

namespace hearth::auth {
class authenticator;
}

namespace hearth::web {

class totp_store;

// The Sieve script store, as ManageSieve uses it (wired in app/ to mail/sieve_store and the
// same compile check as PUTSCRIPT). Errors: "sieve.invalid" (does not compile, over quota;
// the message says why), anything else is a storage failure.
struct sieve_hooks {
  // The active script's name and content, or nullopt.
  std::function<result<std::optional<std::pair<std::string, std::string>>>(const std::string& address)> active;
  // Checks (quota, compile), stores and activates a script.
  std::function<result<void>(const std::string& address, const std::string& name, const std::string& script)> install;
};

struct services {
  directory::directory& dir;
  auth::authenticator& authn;
  session_store& sessions;
  totp_store& totp;
  // What other areas know, wired in app/ (web/ includes no protocol folder):
  // the bytes an account's mail takes (nullopt: unknown), and Apple's configuration profile
  // for an address (rfc6764/), empty when there is none.
  std::function<std::optional<std::uint64_t>(const std::string& address)> mail_usage;
  std::function<std::string(const std::string& address, const std::string& display_name)> mobileconfig;
  std::optional<sieve_hooks> sieve;  // nullopt: no Sieve here, the form is not offered
  // What the learning spam filter learnt from this user: (spam, ham) messages; nullopt when
  // the filter is off.
  std::function<std::optional<std::pair<std::uint64_t, std::uint64_t>>(const std::string& address)> spam_trained;
  // The admin side (web/admin/, wired in app/serve_web_admin.cpp): its endpoints, added to
  // the table before it is installed, and the check of admin API tokens (api_deps::bearer).
  std::function<void(api&)> more_endpoints;
  std::function<std::optional<caller>(std::string_view token)> bearer;
};

// What the "set up a device" page shows (from the configuration; 0 = service off).
struct device_settings {
  std::string hostname;
  int imaps_port = 993;
  int submission_port = 587;
  int submissions_port = 465;
  int https_port = 443;
  int xmpp_port = 5222;
};

struct options {
  // A session ends this long after sign-in, used or not: a forgotten browser on a shared
  // computer does not stay signed in for days.
  std::chrono::seconds session_lifetime{std::chrono::hours(12)};
  // ... and this long after its last request (0 = only the lifetime): a browser left open on
  // an unattended computer stops being signed in.
  std::chrono::seconds session_idle{std::chrono::hours(2)};
  // The name authenticator apps show beside the account ("Hearth mail.example.org").
  std::string totp_issuer = "Hearth";
  device_settings devices;
};

// Registers the API and the pages on `r`. The returned object must outlive serving.
std::shared_ptr<api> install(http::router& r, const services& s, const options& o);

}  // namespace hearth::web
