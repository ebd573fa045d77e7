// Client autoconfiguration: the documents mail, calendar and contact clients fetch to set an
// account up from nothing but an address and a password, and the HTTPS routes that serve them.
//
//   GET  https://autoconfig.DOMAIN/mail/config-v1.1.xml?emailaddress=A     Thunderbird (Mozilla
//   GET  https://ANY/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=A   "clientConfig 1.1")
//   POST https://ANY/autodiscover/autodiscover.xml                          Outlook (Autodiscover POX)
//   GET  https://ANY/hearth/apple.mobileconfig   (HTTP Basic)               Apple configuration profile
//   GET  https://ANY/.well-known/user-agent-configuration.json              PACC (draft-ietf-mailmaint-pacc)
//   GET  https://mta-sts.DOMAIN/.well-known/mta-sts.txt                     MTA-STS policy (RFC 8461 §3.3)
//
// Every document is built from the config alone (server.hostname and the configured listener
// ports; a disabled listener, port 0, is left out), so the zone generator, the DNS check and
// these routes always agree. Only domains in the directory are answered: anything else is 404.
// Whether an account exists is never revealed (only the domain is checked), except by the
// Apple profile, which requires the account's password.
//
// XEP-0156 host-meta (/.well-known/host-meta, host-meta.json) is not served yet: there are no
// BOSH/WebSocket endpoints to announce.
//
// The builders are pure and thread-safe; the handlers registered by register_routes() are
// thread-safe (they read the config, ask the directory and the authenticator).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/authenticator.hpp"
#include "core/config/config.hpp"
#include "core/http/router.hpp"
#include "core/util/result.hpp"
#include "directory/directory.hpp"

namespace hearth::rfc6764 {

// ---- paths (the e2e test, the README and the zone's comments name the same ones) ----
inline constexpr std::string_view thunderbird_path = "/mail/config-v1.1.xml";  // on autoconfig.DOMAIN
inline constexpr std::string_view thunderbird_well_known_path = "/.well-known/autoconfig/mail/config-v1.1.xml";
inline constexpr std::string_view autodiscover_path = "/autodiscover/autodiscover.xml";
// RFC 8615 §3: /.well-known/ names are registered with IANA, and ours is not, so the Apple
// profile lives under a path of our own.
inline constexpr std::string_view mobileconfig_path = "/hearth/apple.mobileconfig";
inline constexpr std::string_view pacc_path = "/.well-known/user-agent-configuration.json";
inline constexpr std::string_view mta_sts_path = "/.well-known/mta-sts.txt";  // on mta-sts.DOMAIN

// Autodiscover request bodies larger than this are refused (413) before any parsing: a real
// request is a few hundred bytes.
inline constexpr std::size_t max_autodiscover_body = 16 * 1024;

// The XML namespaces of Autodiscover POX (Microsoft [MS-OXDSCLI] §2.2.3/2.2.4).
inline constexpr std::string_view autodiscover_request_ns =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006";
inline constexpr std::string_view autodiscover_envelope_ns =
    "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
inline constexpr std::string_view autodiscover_response_ns =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

// Where a client reaches one service: server.hostname and the listener's port. nullopt when the
// listener is disabled (port 0). implicit_tls tells SSL/TLS from STARTTLS.
struct endpoint {
  std::string host;
  std::uint16_t port = 0;
  bool implicit_tls = false;
};
std::optional<endpoint> endpoint_for(const config::config& c, config::service s);

// Text escaped for XML character data and attribute values (& < > " ').
std::string xml_escape(std::string_view text);

// ---- document builders: `domain` and `email` must already be normalized and local ----

// Mozilla "clientConfig version 1.1" (Thunderbird autoconfig): emailProvider id = domain, one
// <domain>, displayName; incomingServer imap (implicit TLS, then STARTTLS), pop3 (implicit TLS);
// outgoingServer smtp (465 implicit TLS, then 587 STARTTLS); username %EMAILADDRESS%,
// authentication password-cleartext (always over TLS; we keep no password equivalent that
// CRAM-MD5 would need). Preferred entries come first, as Thunderbird takes the first it can use.
std::string thunderbird_config(const config::config& c, std::string_view domain);

// Autodiscover POX response (Account, AccountType email, Action settings) with one Protocol for
// IMAP and one for SMTP, LoginName = `email`, SSL on, SPA off, AuthRequired on. A service whose
// implicit-TLS listener is disabled falls back to its STARTTLS port with Encryption TLS, and is
// left out when both are disabled.
std::string autodiscover_response(const config::config& c, std::string_view email);

// An Autodiscover error document (Response/Error/ErrorCode, Message): 600 "Invalid Request",
// 601 "Provider is not available" (the schema asked for is not the Outlook one).
std::string autodiscover_error(int code, std::string_view message);

// Reads an Autodiscover POX request: Autodiscover/Request/EMailAddress, all in
// autodiscover_request_ns, with any prefix or a default namespace (prefixes are resolved by
// walking the xmlns declarations). Returns the normalized address. Errors:
//   "autodiscover.too_large"  body above max_autodiscover_body
//   "autodiscover.malformed"  not well-formed XML, or the elements are missing / in another namespace
//   "autodiscover.address"    EMailAddress is not a valid address
//   "autodiscover.schema"     AcceptableResponseSchema names another schema than autodiscover_response_ns
result<std::string> parse_autodiscover_request(std::string_view body);

// Apple configuration profile (plist XML, PayloadType Configuration) with com.apple.mail.managed
// (IMAP + SMTP, user name = `email`, no password), com.apple.caldav.account and
// com.apple.carddav.account (server.hostname, the https port, SSL, principal URL
// /.well-known/caldav and /.well-known/carddav). PayloadIdentifiers and PayloadUUIDs are derived
// from the address and server.hostname, so installing it again replaces the earlier profile.
// Payloads whose listeners are disabled are left out. Never contains a password.
std::string apple_mobileconfig(const config::config& c, std::string_view email, std::string_view display_name);

// The PACC document (draft-ietf-mailmaint-pacc): JSON with "protocols" (imap, pop3, submit by
// "host"; caldav, carddav by "url"), "authentication" {"password": true} and "info".
// Deterministic bytes (the _ua-auto-config TXT record carries their digest, see pacc_txt_record).
std::string pacc_document(const config::config& c, std::string_view domain);

// The _ua-auto-config TXT value vouching for pacc_document(c, domain):
// "v=UAAC1; a=sha256; d=" + base64(SHA-256 of the document). For the zone generator and the
// DNS check, so that the record and the served bytes come from one place.
std::string pacc_txt_record(const config::config& c, std::string_view domain);

// Adds every route above to `r`. The config is copied; `dir` and `authn` are kept by reference
// and must outlive the router. Handlers may block (directory reads, Argon2id, the throttle's
// delay on the Apple profile): the HTTP session runs them off the I/O threads.
void register_routes(http::router& r, const config::config& c, directory::directory& dir,
                     auth::authenticator& authn);

}  // namespace hearth::rfc6764
