// The schema table (see schema.hpp) and the value checks it names.
#include "core/config/schema.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <type_traits>

namespace hearth::config::detail {
namespace {

// Converts between a struct field and a schema value. Integers were range-checked against
// the key's min/max before set() is called, so the narrowing casts cannot wrap.
template <class F>
value to_value(const F& f) {
  if constexpr (std::is_same_v<F, bool>) return f;
  else if constexpr (std::is_integral_v<F>) return static_cast<std::int64_t>(f);
  else if constexpr (std::is_same_v<F, std::filesystem::path>) return f.generic_string();
  else return f;  // std::string, std::vector<std::string>
}
template <class F>
void from_value(F& f, const value& v) {
  if constexpr (std::is_same_v<F, bool>) f = std::get<bool>(v);
  else if constexpr (std::is_integral_v<F>) f = static_cast<F>(std::get<std::int64_t>(v));
  else if constexpr (std::is_same_v<F, std::filesystem::path>) f = std::get<std::string>(v);
  else f = std::get<F>(v);
}

template <class C, class F>
C owner_of(F C::*);
template <class C, class F>
F field_of(F C::*);

struct binding {
  std::function<value(const void*)> get;
  std::function<void(void*, const value&)> set;
  scope where;
};

// bind<&config::threads>(): getter and setter for one member of config or certificate.
template <auto M>
binding bind() {
  using owner = decltype(owner_of(M));
  using field = decltype(field_of(M));
  return {[](const void* o) { return to_value<field>(static_cast<const owner*>(o)->*M); },
          [](void* o, const value& v) { from_value<field>(static_cast<owner*>(o)->*M, v); },
          std::is_same_v<owner, certificate> ? scope::certificate
          : std::is_same_v<owner, route>     ? scope::route
          : std::is_same_v<owner, xmpp_component> ? scope::component
                                             : scope::config};
}

key_def make(std::string path, kind type, value def, std::string doc, binding b,
             syntax check = syntax::any, std::int64_t min = 0, std::int64_t max = 0) {
  key_def k;
  k.path = std::move(path);
  k.type = type;
  k.def = std::move(def);
  k.doc = std::move(doc);
  k.check = check;
  k.min = min;
  k.max = max;
  k.get = std::move(b.get);
  k.set = std::move(b.set);
  k.where = b.where;
  return k;
}
key_def str(std::string path, std::string def, std::string doc, binding b, syntax check = syntax::any) {
  return make(std::move(path), kind::string, std::move(def), std::move(doc), std::move(b), check);
}
key_def list(std::string path, std::vector<std::string> def, std::string doc, binding b,
             syntax check = syntax::any) {
  return make(std::move(path), kind::string_list, std::move(def), std::move(doc), std::move(b), check);
}
key_def integer(std::string path, std::int64_t def, std::int64_t min, std::int64_t max, std::string doc,
                binding b) {
  return make(std::move(path), kind::integer, def, std::move(doc), std::move(b), syntax::any, min, max);
}
key_def boolean(std::string path, bool def, std::string doc, binding b) {
  return make(std::move(path), kind::boolean, def, std::move(doc), std::move(b));
}

listener& listener_of(void* o, service s) {
  auto& c = *static_cast<config*>(o);
  for (auto& l : c.listeners)
    if (l.svc == s) return l;
  c.listeners.push_back(listener{s, {}, 0});
  return c.listeners.back();
}

// Per-service keys are generated from all_services, so a new service is one enum entry.
binding port_of(service s) {
  return {[s](const void* o) { return value{std::int64_t{static_cast<const config*>(o)->listen(s).port}}; },
          [s](void* o, const value& v) {
            listener_of(o, s).port = static_cast<std::uint16_t>(std::get<std::int64_t>(v));
          },
          scope::config};
}
binding addresses_of(service s) {
  return {[s](const void* o) { return value{static_cast<const config*>(o)->listen(s).addresses}; },
          [s](void* o, const value& v) { listener_of(o, s).addresses = std::get<std::vector<std::string>>(v); },
          scope::config};
}

std::vector<key_def> build_keys() {
  constexpr std::int64_t day = 86400;
  std::vector<key_def> k;
  // [server]
  k.push_back(str("server.hostname", "", "this machine's public name: EHLO greeting, MX target, certificates",
                  bind<&config::hostname>(), syntax::dns_name).needed());
  k.push_back(str("server.data_dir", "/var/lib/hearth", "database, blobs and keys live here",
                  bind<&config::data_dir>(), syntax::path).not_empty());
  k.push_back(integer("server.threads", 0, 0, 256, "worker threads; 0 = one per core", bind<&config::threads>()));
  k.push_back(integer("server.max_connections_per_ip", 50, 0, 1000000,
                      "connections from one client address, all listeners together; 0 = no limit",
                      bind<&config::max_connections_per_ip>()));
  k.push_back(str("server.ip4", "", "public IPv4 address for the DNS zone; empty = none", bind<&config::ip4>(), syntax::ip4));
  k.push_back(str("server.ip6", "", "public IPv6 address for the DNS zone; empty = none", bind<&config::ip6>(), syntax::ip6));
  // [log]
  k.push_back(str("log.level", "info", "least severe level written", bind<&config::log_level>())
                  .allowed({"trace", "debug", "info", "warn", "error"}));
  k.push_back(str("log.file", "", "log file, appended to and reopened on SIGHUP; empty = stderr",
                  bind<&config::log_file>(), syntax::path));
  // [listen]
  k.push_back(list("listen.addresses", {"0.0.0.0", "::"}, "IP addresses every listener binds to",
                   bind<&config::listen_addresses>(), syntax::ip).not_empty());
  k.push_back(integer("listen.read_timeout", 300, 1, day, "seconds a read may wait before the connection is closed",
                      bind<&config::read_timeout_seconds>()));
  // RFC 5321 §4.5.3.1.6: an SMTP text line is up to 1000 octets, so no smaller limit.
  k.push_back(integer("listen.max_line_length", 8192, 1000, 1 << 20, "longest command line accepted, in octets",
                      bind<&config::max_line_length>()));
  for (service s : all_services)
    k.push_back(integer(std::string("listen.") + service_name(s), standard_port(s), 0, 65535,
                        std::string(service_tls(s) == tls_mode::implicit ? "implicit TLS" : "STARTTLS") +
                            " port; 0 disables the listener",
                        port_of(s)));
  for (service s : all_services)
    k.push_back(list(std::string("listen.addresses_for.") + service_name(s), {},
                     "addresses for this listener only; empty = listen.addresses", addresses_of(s), syntax::ip));
  // [[tls.certificate]]
  k.push_back(list("tls.certificate.hosts", {}, "names served (SNI); the first certificate is the default",
                   bind<&certificate::hosts>(), syntax::sni_name).needed());
  k.push_back(str("tls.certificate.cert", "", "PEM certificate chain", bind<&certificate::cert_file>(), syntax::path).needed());
  k.push_back(str("tls.certificate.key", "", "PEM private key", bind<&certificate::key_file>(), syntax::path).needed());
  // [dns]
  k.push_back(list("dns.servers", {}, "resolvers as \"ip\", \"ip:port\" or \"[ipv6]:port\"; empty = /etc/resolv.conf",
                   bind<&config::dns_servers>(), syntax::server_address));
  k.push_back(boolean("dns.dnssec", true, "validate DNSSEC when a trust anchor is available", bind<&config::dnssec>()));
  k.push_back(str("dns.trust_anchor_file", "/usr/share/dns/root.key",
                  "DNSSEC trust anchor (DS/DNSKEY records in zone-file syntax): the DNS root's (Debian dns-root-data), "
                  "or a private root's",
                  bind<&config::dns_trust_anchor_file>(), syntax::path));
  // [auth]
  k.push_back(integer("auth.delay_after", 3, 0, 1000, "failed logins (per IP or account) before answers slow down",
                      bind<&config::auth_delay_after>()));
  k.push_back(integer("auth.block_after", 10, 1, 100000, "failed logins before refusing for block_seconds",
                      bind<&config::auth_block_after>()));
  k.push_back(integer("auth.block_seconds", 900, 0, 7 * day, "how long a block lasts", bind<&config::auth_block_seconds>()));
  k.push_back(integer("auth.window_seconds", 900, 1, 7 * day, "failures older than this are forgotten",
                      bind<&config::auth_window_seconds>()));
  k.push_back(list("auth.scram_plus", {},
                   "protocols offering SCRAM-SHA-*-PLUS (channel binding): mutt, neomutt and slixmpp in Debian 12 cannot log in where it is offered",
                   bind<&config::auth_scram_plus>())
                  .allowed({"smtp", "imap", "pop3", "sieve", "xmpp"}));
  // [smtp]
  k.push_back(integer("smtp.max_message_size", 50ll << 20, 64ll << 10, 4ll << 30, "largest message accepted, in octets (SIZE)",
                      bind<&config::smtp_max_message_size>()));
  // RFC 5321 §4.5.3.1.8: a server must accept at least 100 recipients per message.
  k.push_back(integer("smtp.max_recipients", 100, 100, 100000, "recipients per message",
                      bind<&config::smtp_max_recipients>()));
  // RFC 5321 §4.5.3.2.7 / §4.5.3.2.6: 5 minutes for a command, 10 for the DATA terminator.
  k.push_back(integer("smtp.command_timeout", 300, 10, 3600, "seconds to wait for the next command",
                      bind<&config::smtp_command_timeout>()));
  k.push_back(integer("smtp.data_timeout", 600, 10, 7200, "seconds to wait for the rest of a message",
                      bind<&config::smtp_data_timeout>()));
  k.push_back(integer("smtp.max_errors", 10, 1, 1000, "bad commands and refused recipients before the connection is closed",
                      bind<&config::smtp_max_errors>()));
  k.push_back(integer("smtp.max_connections_per_ip", 20, 0, 100000, "concurrent connections from one client address; 0 = no limit",
                      bind<&config::smtp_max_connections_per_ip>()));
  k.push_back(integer("smtp.outbound.port", 25, 1, 65535, "port of remote MX hosts (tests point it elsewhere)",
                      bind<&config::smtp_outbound_port>()));
  k.push_back(boolean("smtp.outbound.mta_sts", true,
                      "apply recipient domains' MTA-STS policies (RFC 8461): enforce refuses an MX outside the policy or without a valid certificate",
                      bind<&config::smtp_outbound_mta_sts>()));
  k.push_back(integer("smtp.outbound.https_port", 443, 1, 65535, "port of MTA-STS policy hosts (tests point it elsewhere)",
                      bind<&config::smtp_outbound_https_port>()));
  k.push_back(str("smtp.outbound.ca_file", "", "PEM CA bundle trusted for MTA-STS policy hosts and MX certificates, besides the system's",
                  bind<&config::smtp_outbound_ca_file>(), syntax::path));
  // [smtp.queue]: first retry after 5 min, doubling, capped at 4 h, give up after 5 days.
  k.push_back(integer("smtp.queue.first_retry", 300, 1, day, "seconds before the first retry of a deferred message",
                      bind<&config::smtp_queue_first_retry>()));
  k.push_back(integer("smtp.queue.max_retry", 4 * 3600, 1, 7 * day, "longest wait between retries, in seconds (the wait doubles up to it)",
                      bind<&config::smtp_queue_max_retry>()));
  k.push_back(integer("smtp.queue.give_up", 5 * day, 1, 30 * day, "seconds after which a message is returned to its sender",
                      bind<&config::smtp_queue_give_up>()));
  k.push_back(integer("smtp.queue.delay_warning", 4 * 3600, 1, 30 * day, "seconds after which the sender is told once that delivery is delayed",
                      bind<&config::smtp_queue_delay_warning>()));
  // Postfix's smtp_bind_address/smtp_bind_address6: on a machine with several addresses, mail
  // must leave from the one whose PTR, SPF and blocklist standing are right.
  k.push_back(list("smtp.queue.bind_addresses", {},
                   "source addresses of outgoing SMTP connections, at most one IPv4 and one IPv6; "
                   "empty = the system chooses",
                   bind<&config::smtp_queue_bind_addresses>(), syntax::ip));
  // [[smtp.route]]: per-destination relays (mail/queue/route.hpp)
  k.push_back(list("smtp.route.domains", {}, "recipient domains this route serves: \"example.org\", \"*.example.org\" or \"*\"",
                   bind<&route::domains>(), syntax::name_pattern));
  k.push_back(list("smtp.route.mx", {}, "MX host names this route serves, e.g. \"*.mail.protection.outlook.com\"",
                   bind<&route::mx>(), syntax::name_pattern));
  k.push_back(str("smtp.route.relay", "", "\"host:port\" of a smarthost that takes every message of the route; \"\" = direct to the MX",
                  bind<&route::relay>(), syntax::host_port));
  k.push_back(str("smtp.route.fallback_relay", "",
                  "\"host:port\" of a smarthost for messages a destination refuses with a blocklist reply (Microsoft S3140, Spamhaus...)",
                  bind<&route::fallback_relay>(), syntax::host_port));
  k.push_back(str("smtp.route.username", "", "AUTH user name at the relays, sent over STARTTLS only; \"\" = no AUTH",
                  bind<&route::username>()));
  k.push_back(str("smtp.route.password_file", "", "file holding the AUTH password (first line); must be readable by the server only",
                  bind<&route::password_file>(), syntax::path));
  // [dkim]
  k.push_back(str("dkim.selector", "hearth", "selector of the signing key: SELECTOR._domainkey.DOMAIN",
                  bind<&config::dkim_selector>(), syntax::dns_name).not_empty());
  k.push_back(boolean("dkim.sign", true, "DKIM-sign mail from our users (keys SELECTOR and SELECTOR-ed25519 of the From domain)",
                      bind<&config::dkim_sign>()));
  // [mailauth] (mail/mailauth)
  k.push_back(boolean("mailauth.spf", true, "check SPF (RFC 7208) of MAIL FROM and HELO on the MX port", bind<&config::mailauth_spf>()));
  k.push_back(boolean("mailauth.dkim_verify", true, "verify DKIM signatures of incoming mail", bind<&config::mailauth_dkim_verify>()));
  k.push_back(boolean("mailauth.dmarc", true, "apply DMARC (RFC 7489): p=reject refused, p=quarantine to Junk",
                      bind<&config::mailauth_dmarc>()));
  k.push_back(list("mailauth.strip_headers", {"X-Forwarded-For", "X-Client-IP"},
                   "header fields removed from our users' mail besides Received and X-Originating-IP",
                   bind<&config::mailauth_strip_headers>()));
  k.push_back(str("mailauth.public_suffix_list", "/usr/share/publicsuffix/public_suffix_list.dat",
                  "Public Suffix List for DMARC organizational domains (Debian package publicsuffix)",
                  bind<&config::mailauth_public_suffix_list>(), syntax::path));
  // Forwarding: what Gmail and Microsoft ask of forwarders.
  k.push_back(boolean("mailauth.srs", true,
                      "rewrite the envelope sender of mail forwarded to other domains with SRS, so SPF passes there",
                      bind<&config::mailauth_srs>()));
  k.push_back(str("mailauth.srs_domain", "", "domain of the SRS addresses; empty = the first (primary) domain",
                  bind<&config::mailauth_srs_domain>()));
  k.push_back(integer("mailauth.srs_max_age", 21, 1, 365, "days a bounce to an SRS address is accepted",
                      bind<&config::mailauth_srs_max_age>()));
  k.push_back(boolean("mailauth.arc", true,
                      "verify ARC chains (RFC 8617) of incoming mail and add an ARC set to mail we forward",
                      bind<&config::mailauth_arc>()));
  // [zone]
  k.push_back(integer("zone.ttl", 3600, 60, 7 * day, "TTL of the records `hearth dns zone` prints", bind<&config::zone_ttl>()));
  k.push_back(list("zone.backup_mx", {}, "backup MX host names, published with a higher preference value",
                   bind<&config::zone_backup_mx>(), syntax::dns_name));
  k.push_back(list("zone.caa", {}, "CAs allowed to issue certificates (CAA issue), e.g. \"letsencrypt.org\"; empty = no CAA",
                   bind<&config::zone_caa>(), syntax::dns_name));
  k.push_back(list("zone.spf_extra", {}, "further outbound IP addresses or networks for SPF (ip4/ip6, CIDR allowed)",
                   bind<&config::zone_spf_extra>()));
  k.push_back(str("zone.dmarc_policy", "quarantine", "DMARC policy (p=) for the domains", bind<&config::zone_dmarc_policy>())
                  .allowed({"none", "quarantine", "reject"}));
  k.push_back(str("zone.report_local", "postmaster", "local part that receives DMARC (rua) and TLS-RPT reports",
                  bind<&config::zone_report_local>()).not_empty());
  k.push_back(str("zone.mta_sts_mode", "testing", "MTA-STS policy mode (RFC 8461)", bind<&config::zone_mta_sts_mode>())
                  .allowed({"none", "testing", "enforce"}));
  k.push_back(integer("zone.mta_sts_max_age", 604800, 86400, 31557600, "MTA-STS policy max_age in seconds",
                      bind<&config::zone_mta_sts_max_age>()));
  k.push_back(boolean("zone.tlsa", false,
                      "publish TLSA 3 1 1 (DANE, RFC 7672) for the MX host's certificate key; only when renewals keep the "
                      "key (certbot --reuse-key, or a certificate renewed by hand)",
                      bind<&config::zone_tlsa>()));
  k.push_back(str("zone.tlsa_next", "", "PEM key or certificate of the next key, published beside the current one before a rotation",
                  bind<&config::zone_tlsa_next>(), syntax::path));
  // [reports] (mail/reports)
  k.push_back(boolean("reports.send_dmarc", false,
                      "send a daily DMARC aggregate report (RFC 7489 §7.2) to the rua= of each domain we received mail from",
                      bind<&config::reports_send_dmarc>()));
  k.push_back(boolean("reports.send_tls", false,
                      "send a daily TLS-RPT report (RFC 8460) to each domain we delivered to that publishes _smtp._tls rua=",
                      bind<&config::reports_send_tls>()));
  // [blocklists]
  k.push_back(list("blocklists.ip", {"zen.spamhaus.org", "bl.spamcop.net", "b.barracudacentral.org"},
                   "DNS blocklists for IP addresses", bind<&config::blocklists_ip>(), syntax::dns_name));
  k.push_back(list("blocklists.domain", {"dbl.spamhaus.org"}, "DNS blocklists for domain names",
                   bind<&config::blocklists_domain>(), syntax::dns_name));
  // [imap]
  k.push_back(integer("imap.max_line", 64ll << 10, 8192, 16ll << 20,
                      "longest IMAP command line outside literals, in octets (RFC 7162 §4: at least 8192)",
                      bind<&config::imap_max_line>()));
  k.push_back(integer("imap.max_literal", 64ll << 20, 64ll << 10, 256ll << 20,
                      "largest message APPEND accepts, in octets; advertised as APPENDLIMIT (RFC 7889)",
                      bind<&config::imap_max_literal>()));
  k.push_back(integer("imap.search_depth", 32, 2, 256, "deepest nesting of OR/NOT/parentheses in SEARCH, SORT and THREAD",
                      bind<&config::imap_search_depth>()));
  k.push_back(integer("imap.idle_timeout", 1800, 5, 7 * day,
                      "seconds a logged-in IMAP session may stay silent (RFC 9051 §5.4 asks for at least 1800)",
                      bind<&config::imap_idle_timeout>()));
  k.push_back(integer("imap.max_errors", 20, 1, 1000, "protocol errors (BAD) before an IMAP session is closed",
                      bind<&config::imap_max_errors>()));
  k.push_back(integer("imap.progress_interval", 10, 0, 3600,
                      "seconds between INPROGRESS notes of a long SEARCH, SORT, THREAD or FETCH (RFC 9585 §4: 10-15)",
                      bind<&config::imap_progress_interval>()));
  // [managesieve]
  k.push_back(integer("managesieve.max_scripts", 20, 1, 10000, "Sieve scripts an account may store (NO (QUOTA/MAXSCRIPTS) above)",
                      bind<&config::managesieve_max_scripts>()));
  k.push_back(integer("managesieve.max_script_size", 64ll << 10, 1024, 16ll << 20,
                      "largest Sieve script, in octets (NO (QUOTA/MAXSIZE) above)",
                      bind<&config::managesieve_max_script_size>()));
  k.push_back(integer("managesieve.max_total_size", 1ll << 20, 1024, 1ll << 30,
                      "all Sieve scripts of one account together, in octets",
                      bind<&config::managesieve_max_total_size>()));
  k.push_back(integer("managesieve.max_errors", 20, 1, 1000, "syntax errors before a ManageSieve session is closed",
                      bind<&config::managesieve_max_errors>()));
  k.push_back(str("managesieve.before", "", "global Sieve script (`hearth sieve put --global NAME`) run before each user's script; \"\" = none",
                  bind<&config::managesieve_before>()));
  k.push_back(str("managesieve.after", "", "global Sieve script run after each user's script (when it keeps); \"\" = none",
                  bind<&config::managesieve_after>()));
  // [http]
  k.push_back(integer("http.max_body_size", 20ll << 20, 64ll << 10, 1ll << 30, "largest HTTPS request body, in octets (413 above)",
                      bind<&config::http_max_body_size>()));
  k.push_back(integer("http.header_timeout", 30, 1, 3600,
                      "seconds a client has to send a whole request head (line and header fields)",
                      bind<&config::http_header_timeout>()));
  k.push_back(integer("http.body_timeout", 20, 1, 3600,
                      "seconds a client has to send a request body, plus one for every body_min_rate octets received "
                      "(at most listen.read_timeout in all)",
                      bind<&config::http_body_timeout>()));
  k.push_back(integer("http.body_min_rate", 500, 0, 1ll << 30,
                      "octets of body that buy one more second of body_timeout; 0 = body_timeout is the whole limit",
                      bind<&config::http_body_min_rate>()));
  // [dav]
  // [web] (web/)
  k.push_back(integer("web.session_lifetime", 12 * 3600, 5, 30 * day,
                      "seconds a web console sign-in lasts, used or not", bind<&config::web_session_lifetime>()));
  k.push_back(integer("web.session_idle", 2 * 3600, 0, 30 * day,
                      "seconds without a request after which a web console session ends; 0 = only the lifetime",
                      bind<&config::web_session_idle>()));
  k.push_back(integer("dav.max_resource_size", 10ll << 20, 16ll << 10, 1ll << 30,
                      "largest calendar object or vCard, in octets (CalDAV/CardDAV max-resource-size)",
                      bind<&config::dav_max_resource_size>()));
  // [filter.*] (mail/filter); scores are validated by `hearth serve` (app/serve_filter.cpp).
  k.push_back(str("filter.client.rdns_none", "1.5", "client without a reverse DNS (PTR) name: a spam score, or \"reject\"",
                  bind<&config::filter_rdns_none>()).not_empty());
  k.push_back(str("filter.client.rdns_mismatch", "1", "client whose PTR name does not resolve back to it: a score, or \"reject\"",
                  bind<&config::filter_rdns_mismatch>()).not_empty());
  k.push_back(str("filter.client.helo_not_fqdn", "1", "EHLO argument that is not a FQDN or address literal: a score, or \"reject\"",
                  bind<&config::filter_helo_not_fqdn>()).not_empty());
  k.push_back(boolean("filter.greylist.enabled", true, "greylist unknown (client /24 or /64, sender, recipient) triplets",
                      bind<&config::filter_greylist_enabled>()));
  k.push_back(integer("filter.greylist.passtime", 180, 0, day, "seconds before a retry passes",
                      bind<&config::filter_greylist_passtime>()));
  k.push_back(integer("filter.greylist.greyexp", 4 * 3600, 1, 30 * day, "seconds a first attempt waits for its retry",
                      bind<&config::filter_greylist_greyexp>()));
  k.push_back(integer("filter.greylist.whiteexp", 36 * day, 1, 365 * day, "seconds a passed triplet stays accepted (renewed on use)",
                      bind<&config::filter_greylist_whiteexp>()));
  k.push_back(list("filter.greylist.allowlist", {}, "never delayed: IPs, CIDR networks, client host names (e.g. our backup MX)",
                   bind<&config::filter_greylist_allowlist>()));
  k.push_back(list("filter.dnsbl.client", {}, "DNSBL/DNSWL zones for the client address: \"zone\", \"zone:WEIGHT\" or \"zone:reject\"",
                   bind<&config::filter_dnsbl_client>()));
  k.push_back(list("filter.dnsbl.sender", {}, "RHSBL zones for the sender domain, same syntax",
                   bind<&config::filter_dnsbl_sender>()));
  k.push_back(list("filter.dnsbl.uri", {}, "URIBL zones for the domains of links in the body, same syntax",
                   bind<&config::filter_dnsbl_uri>()));
  k.push_back(str("filter.dnsbl.weight", "3", "spam score of a listing when the zone names none",
                  bind<&config::filter_dnsbl_weight>()).not_empty());
  k.push_back(str("filter.spam.threshold", "5", "spam score at or above which mail goes to the Junk folder",
                  bind<&config::filter_spam_threshold>()).not_empty());
  k.push_back(str("filter.spam.reject_threshold", "15", "spam score at or above which mail is refused (550 5.7.1)",
                  bind<&config::filter_spam_reject_threshold>()).not_empty());
  // [filter.bayes], [filter.antivirus]; validated by `hearth serve` (app/serve_spam.cpp).
  k.push_back(integer("filter.decisions.days", 30, 0, 366,
                      "days the decision about each incoming message (blocklists, greylisting, spam score, refusal) is kept for the admin console; 0 = not kept",
                      bind<&config::filter_decisions_days>()));
  k.push_back(integer("filter.decisions.max", 200000, 1000, 100000000,
                      "decisions kept at most (the oldest are dropped first)", bind<&config::filter_decisions_max>()));
  k.push_back(boolean("filter.bayes.enabled", true, "score incoming mail with the learning (Bayesian) spam filter",
                      bind<&config::filter_bayes_enabled>()));
  k.push_back(integer("filter.bayes.min_spam", 200, 0, 1000000, "trained spam messages needed before the filter votes",
                      bind<&config::filter_bayes_min_spam>()));
  k.push_back(integer("filter.bayes.min_ham", 200, 0, 1000000, "trained ham (good) messages needed before the filter votes",
                      bind<&config::filter_bayes_min_ham>()));
  k.push_back(str("filter.bayes.spam_cutoff", "0.995", "classifier probability at or above which a message is spam",
                  bind<&config::filter_bayes_spam_cutoff>()).not_empty());
  k.push_back(str("filter.bayes.ham_cutoff", "0.2", "classifier probability below which a message is ham (between: unsure)",
                  bind<&config::filter_bayes_ham_cutoff>()).not_empty());
  k.push_back(str("filter.bayes.spam_score", "6", "spam score of BAYES_99 (BAYES_90 gets 85% of it)",
                  bind<&config::filter_bayes_spam_score>()).not_empty());
  k.push_back(str("filter.bayes.ham_score", "-2", "spam score of BAYES_00, usually negative (BAYES_05 gets half)",
                  bind<&config::filter_bayes_ham_score>()).not_empty());
  k.push_back(boolean("filter.bayes.learn", true, "learn from IMAP: moves into/out of Junk, $Junk/$NotJunk keywords",
                      bind<&config::filter_bayes_learn>()));
  k.push_back(boolean("filter.bayes.learn_site_wide", true, "a user's lessons also count in the site-wide database",
                      bind<&config::filter_bayes_learn_site_wide>()));
  k.push_back(boolean("filter.bayes.trust_contacts", true,
                      "mail from the recipient's CardDAV contacts or from addresses they wrote to is never sent to Junk by the filter",
                      bind<&config::filter_bayes_trust_contacts>()));
  k.push_back(str("filter.antivirus.clamd", "", "clamd socket: a Unix path or host:port; empty = no virus scanning",
                  bind<&config::filter_antivirus_clamd>()));
  k.push_back(boolean("filter.antivirus.submission", false, "also scan mail our users send (587/465), not only port 25",
                      bind<&config::filter_antivirus_submission>()));
  k.push_back(str("filter.antivirus.on_error", "defer", "when clamd fails: \"defer\" (451 4.7.1) or \"accept\" (marked X-Virus-Status: Unchecked)",
                  bind<&config::filter_antivirus_on_error>()).not_empty());
  k.push_back(integer("filter.antivirus.timeout", 30, 1, 600, "seconds clamd has to connect, read and answer",
                      bind<&config::filter_antivirus_timeout>()));
  k.push_back(integer("filter.antivirus.max_stream_bytes", 25ll << 20, 1ll << 20, 1ll << 30,
                      "octets of a message sent to clamd: at most its StreamMaxLength",
                      bind<&config::filter_antivirus_max_stream_bytes>()));
  // [backup_mx]
  k.push_back(list("backup_mx.domains", {}, "domains this server is a backup MX for: their mail is kept and relayed to the primary",
                   bind<&config::backup_mx_domains>(), syntax::dns_name));
  k.push_back(str("backup_mx.recipients", "any", "\"any\", or a file of accepted addresses, one per line (synced from the primary)",
                  bind<&config::backup_mx_recipients>()).not_empty());
  k.push_back(integer("backup_mx.retention", 7 * day, 1, 60 * day, "seconds relayed mail waits for the primary before it is returned",
                      bind<&config::backup_mx_retention>()));
  k.push_back(str("backup_mx.sync_url", "", "backup: the primary's https base URL; its recipient lists replace backup_mx.recipients",
                  bind<&config::backup_mx_sync_url>()));
  k.push_back(str("backup_mx.sync_secret", "", "shared secret of the recipient sync; on the primary it enables GET /hearth/backup-mx/recipients",
                  bind<&config::backup_mx_sync_secret>()));
  k.push_back(integer("backup_mx.sync_interval", 600, 10, 7 * day, "backup: seconds between recipient syncs (the first at start)",
                      bind<&config::backup_mx_sync_interval>()));
  k.push_back(str("backup_mx.sync_ca_file", "", "backup: PEM CA bundle trusted for the primary's certificate, besides the system's",
                  bind<&config::backup_mx_sync_ca_file>(), syntax::path));
  // [backup]
  k.push_back(str("backup.destination", "",
                  "folder that `hearth serve` writes a backup snapshot into every backup.interval (\"\" = none); "
                  "the same as `hearth backup DEST`",
                  bind<&config::backup_destination>(), syntax::path));
  k.push_back(integer("backup.interval", day, 5, 30 * day, "seconds between two scheduled backups (the next when the newest snapshot there is this old; at the earliest 60 s after start)",
                      bind<&config::backup_interval>()));
  k.push_back(integer("backup.retention", 7, 0, 100000, "snapshots kept in the destination, newest first; 0 = keep all",
                      bind<&config::backup_retention>()));
  // [xmpp]
  k.push_back(str("xmpp.s2s_ca_file", "", "PEM CA bundle trusted for other XMPP servers' certificates, besides the system's",
                  bind<&config::xmpp_s2s_ca_file>(), syntax::path));
  k.push_back(integer("xmpp.s2s_give_up", 600, 1, day,
                      "seconds of failed outgoing federation attempts (1 s apart, doubling to 2 min) before waiting stanzas bounce",
                      bind<&config::xmpp_s2s_give_up>()));
  k.push_back(str("xmpp.muc_subdomain", "conference",
                  "group chat (XEP-0045) is served on SUBDOMAIN.DOMAIN of every domain (\"\" = no group chat)",
                  bind<&config::xmpp_muc_subdomain>()));
  k.push_back(integer("xmpp.muc_max_rooms_per_user", 100, 0, 1000000, "group chat rooms one account may own (0 = none)",
                      bind<&config::xmpp_muc_max_rooms_per_user>()));
  k.push_back(integer("xmpp.muc_max_occupants", 10000, 2, 1000000,
                      "occupants one room may hold, whatever its owner configures",
                      bind<&config::xmpp_muc_max_occupants>()));
  k.push_back(integer("xmpp.muc_messages_per_second", 10, 0, 1000000,
                      "group chat messages per second one occupant may send, bursts of 4x (0 = no limit)",
                      bind<&config::xmpp_muc_messages_per_second>()));
  k.push_back(str("xmpp.upload_subdomain", "upload",
                  "HTTP File Upload (XEP-0363) is served on SUBDOMAIN.DOMAIN of every domain, files over HTTPS at https://SUBDOMAIN.DOMAIN/upload/ (\"\" = no uploads)",
                  bind<&config::xmpp_upload_subdomain>()));
  k.push_back(integer("xmpp.upload_max_file_mb", 100, 1, 1024 * 1024, "largest file one upload may carry, in MiB",
                      bind<&config::xmpp_upload_max_file_mb>()));
  k.push_back(integer("xmpp.upload_quota_mb", 1024, 0, 1024 * 1024 * 1024,
                      "MiB of uploaded files one user may keep at once (0 = no quota)",
                      bind<&config::xmpp_upload_quota_mb>()));
  k.push_back(integer("xmpp.upload_slot_seconds", 300, 1, day,
                      "seconds an upload slot stays valid: its PUT must start before",
                      bind<&config::xmpp_upload_slot_seconds>()));
  k.push_back(integer("xmpp.upload_expire_days", 0, 0, 100000,
                      "uploaded files older than this many days are deleted (0 = kept until deleted by hand)",
                      bind<&config::xmpp_upload_expire_days>()));
  k.push_back(str("xmpp.turn_host", "",
                  "STUN/TURN server (name or address) announced to clients for calls, XEP-0215 (\"\" = none)",
                  bind<&config::xmpp_turn_host>()));
  k.push_back(integer("xmpp.turn_port", 3478, 1, 65535, "port of the STUN/TURN server (UDP and TCP)",
                      bind<&config::xmpp_turn_port>()));
  k.push_back(str("xmpp.turn_secret", "",
                  "the TURN server's shared secret (coturn: use-auth-secret, static-auth-secret); \"\" = announce STUN only",
                  bind<&config::xmpp_turn_secret>()));
  k.push_back(integer("xmpp.turn_credential_hours", 24, 1, 24 * 365, "hours the TURN credentials handed to a client stay valid",
                      bind<&config::xmpp_turn_credential_hours>()));
  k.push_back(integer("xmpp.max_stanza_size", 256ll << 10, 4ll << 10, 64ll << 20,
                      "largest stanza, in octets (stream error policy-violation above)",
                      bind<&config::xmpp_max_stanza_size>()));
  k.push_back(integer("xmpp.max_depth", 64, 8, 1024, "deepest element nesting inside a stanza",
                      bind<&config::xmpp_max_depth>()));
  k.push_back(integer("xmpp.stanzas_per_second", 50, 0, 1000000,
                      "stanzas per second one client connection may send, bursts of 4x (0 = no limit)",
                      bind<&config::xmpp_stanzas_per_second>()));
  k.push_back(integer("xmpp.max_resources", 10, 1, 100000, "resources one account may have connected at once",
                      bind<&config::xmpp_max_resources>()));
  k.push_back(integer("xmpp.offline_queue", 1000, 0, 1000000,
                      "messages stored per account while it is offline (XEP-0160); beyond, senders get an error",
                      bind<&config::xmpp_offline_queue>()));
  k.push_back(integer("xmpp.max_unauthenticated_bytes", 64ll << 10, 4ll << 10, 16ll << 20,
                      "octets a client may send before it has authenticated",
                      bind<&config::xmpp_max_unauthenticated_bytes>()));
  k.push_back(list("xmpp.web_origins", {},
                   "origins (\"https://chat.example.org\") whose pages may use XMPP over WebSocket and BOSH; empty = this server's own https origins; \"*\" = any",
                   bind<&config::xmpp_web_origins>()));
  k.push_back(integer("xmpp.component_port", 5347, 1, 65535,
                      "port of external components (XEP-0114, plain TCP: keep it on loopback); opened only when a [[xmpp.component]] is configured",
                      bind<&config::xmpp_component_port>()));
  k.push_back(list("xmpp.component_addresses", {"127.0.0.1", "::1"}, "addresses the component port binds to",
                   bind<&config::xmpp_component_addresses>(), syntax::ip).not_empty());
  k.push_back(boolean("xmpp.push_summary", false,
                      "push notifications (XEP-0357) carry the message count and the last sender; off = nothing about the message leaves the server",
                      bind<&config::xmpp_push_summary>()));
  k.push_back(integer("xmpp.push_max_per_account", 10, 0, 1000, "push registrations (devices) one account may have; 0 = push off",
                      bind<&config::xmpp_push_max_per_account>()));
  // [[xmpp.component]]: external components (XEP-0114)
  k.push_back(str("xmpp.component.domain", "", "the component's domain, e.g. \"push.example.org\"",
                  bind<&xmpp_component::domain>(), syntax::dns_name).needed());
  k.push_back(str("xmpp.component.name", "", "its name in the server's service discovery; \"\" = the domain",
                  bind<&xmpp_component::name>()));
  k.push_back(str("xmpp.component.secret_file", "", "file holding the handshake secret (first line); must be readable by the server only",
                  bind<&xmpp_component::secret_file>(), syntax::path).needed());
  return k;
}

std::vector<table_def> build_tables() {
  return {
      {"server", "This machine."},
      {"log", "Logging: one key=value line per event."},
      {"listen", "Listeners: one port per service; 0 disables it."},
      {"listen.addresses_for", "Per-service addresses, when a service must bind elsewhere than listen.addresses."},
      {"tls.certificate", "Certificates, one [[tls.certificate]] block each, chosen by SNI, reloaded on SIGHUP.", true},
      {"dns", "DNS resolution (MX lookups, SPF, DKIM, DMARC, DNSBL)."},
      {"auth", "Login throttling, shared by every protocol."},
      {"smtp", "SMTP limits."},
      {"smtp.outbound", "Delivery to other servers."},
      {"smtp.queue", "The outbound queue: retry schedule (seconds)."},
      {"smtp.route", "Per-destination routes, one [[smtp.route]] block each, first match wins: a smarthost for some domains or MX hosts, or a fallback smarthost when a destination blocks our address.", true},
      {"dkim", "DKIM signing of outgoing mail."},
      {"mailauth", "SPF, DKIM and DMARC checks of incoming mail; header hygiene of outgoing mail."},
      {"zone", "What `hearth dns zone` publishes and `hearth dns check` expects."},
      {"blocklists", "DNS blocklists that `hearth dns check` looks our addresses and domains up in."},
      {"reports", "DMARC and TLS-RPT reports we send (the ones received are always read): off by default."},
      {"imap", "IMAP session limits."},
      {"managesieve", "Sieve filters: the script store, its quotas, and ManageSieve (port 4190)."},
      {"http", "The HTTPS server (DAV, autoconfiguration, MTA-STS)."},
      {"web", "The web console: how long a sign-in lasts."},
      {"dav", "CalDAV and CardDAV."},
      {"filter.client", "Incoming mail (MX port): client checks, each a spam score or \"reject\"."},
      {"filter.greylist", "Greylisting of incoming mail (like spamd -G passtime:greyexp:whiteexp)."},
      {"filter.dnsbl", "DNS block and allow lists for incoming mail."},
      {"filter.spam", "The spam verdict: X-Spam-Status, the Junk folder, refusal."},
      {"filter.decisions", "The decisions about incoming mail kept for the admin console (search by address or IP)."},
      {"filter.bayes", "The learning spam filter: learns from moves into and out of Junk and the $Junk/$NotJunk keywords."},
      {"filter.antivirus", "Virus scanning with ClamAV's clamd before mail is accepted."},
      {"backup_mx", "Backup MX: mail for these domains is accepted, kept and relayed to their primary."},
      {"backup", "Scheduled backups of the data directory inside `hearth serve` (the same as `hearth backup`)."},
      {"xmpp", "Chat (XMPP): federation and limits."},
      {"xmpp.component", "External components (XEP-0114), one [[xmpp.component]] block each: a program serving a domain of its own (a push app server, a gateway) through the component port.", true},
  };
}

bool is_ldh_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t label = 0;
  char prev = '.';
  for (char c : s) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok || (label == 0 && c == '-') || ++label > 63) return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

}  // namespace

const std::vector<key_def>& keys() {
  static const std::vector<key_def> k = build_keys();
  return k;
}
const std::vector<table_def>& tables() {
  static const std::vector<table_def> t = build_tables();
  return t;
}
const key_def* find_key(std::string_view path, scope s) {
  for (const auto& k : keys())
    if (k.where == s && k.path == path) return &k;
  return nullptr;
}
const table_def* find_table(std::string_view path) {
  for (const auto& t : tables())
    if (t.path == path) return &t;
  return nullptr;
}

std::string format_value(const value& v) {
  struct visitor {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t n) const { return std::to_string(n); }
    std::string operator()(const std::string& s) const {
      // TOML basic string: escape quote, backslash and control characters (TOML 1.0 §String).
      std::string out = "\"";
      for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
          static const char hex[] = "0123456789ABCDEF";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
      }
      return out + "\"";
    }
    std::string operator()(const std::vector<std::string>& l) const {
      std::string out = "[";
      for (std::size_t i = 0; i < l.size(); ++i) out += (i ? ", " : "") + (*this)(l[i]);
      return out + "]";
    }
  };
  return std::visit(visitor{}, v);
}

std::string allowed_text(const key_def& k) {
  if (k.type == kind::integer) return std::to_string(k.min) + ".." + std::to_string(k.max);
  std::string out;
  for (const auto& v : k.one_of) out += (out.empty() ? "" : "|") + v;
  return out;
}

std::optional<std::string> check_integer(const key_def& k, std::int64_t n) {
  if (n < k.min || n > k.max)
    return k.path + ": " + std::to_string(n) + " is out of range " + allowed_text(k);
  return std::nullopt;
}

std::optional<std::string> check_string(const key_def& k, const std::string& s) {
  const std::string q = format_value(s);
  if (s.find('\0') != std::string::npos) return k.path + ": " + q + " contains a NUL character";
  if (s.empty()) {
    if (k.non_empty) return k.path + ": must not be empty";
    if (k.check == syntax::ip4 || k.check == syntax::ip6 || k.check == syntax::path || k.check == syntax::any ||
        k.check == syntax::host_port)
      return std::nullopt;
  }
  if (!k.one_of.empty()) {
    for (const auto& v : k.one_of)
      if (v == s) return std::nullopt;
    return k.path + ": " + q + " is not one of " + allowed_text(k);
  }
  switch (k.check) {
    case syntax::any:
    case syntax::path:
      return std::nullopt;
    case syntax::dns_name:
      if (is_ldh_name(s)) return std::nullopt;
      return k.path + ": " + q + " is not a DNS name (letters, digits, '-' and '.')";
    case syntax::sni_name:
      if (is_ldh_name(s.rfind("*.", 0) == 0 ? std::string_view(s).substr(2) : std::string_view(s)))
        return std::nullopt;
      return k.path + ": " + q + " is not a DNS name or *.name";
    case syntax::ip4:
      if (is_ip4(s)) return std::nullopt;
      return k.path + ": " + q + " is not an IPv4 address";
    case syntax::ip6:
      if (is_ip6(s)) return std::nullopt;
      return k.path + ": " + q + " is not an IPv6 address";
    case syntax::ip:
      if (is_ip4(s) || is_ip6(s)) return std::nullopt;
      return k.path + ": " + q + " is not an IP address";
    case syntax::server_address:
      if (parse_server_address(s)) return std::nullopt;
      return k.path + ": " + q + " is not \"ip\", \"ip:port\" or \"[ipv6]:port\"";
    case syntax::name_pattern:
      if (s == "*" || is_ldh_name(s.rfind("*.", 0) == 0 ? std::string_view(s).substr(2) : std::string_view(s)))
        return std::nullopt;
      return k.path + ": " + q + " is not a DNS name, *.name or *";
    case syntax::host_port: {
      std::string_view host = s, port;
      if (s.front() == '[') {
        auto close = s.find("]:");
        if (close != std::string::npos && is_ip6(std::string_view(s).substr(1, close - 1)))
          host = std::string_view(s).substr(1, close - 1), port = std::string_view(s).substr(close + 2);
      } else if (auto colon = s.find(':'); colon != std::string::npos && s.find(':', colon + 1) == std::string::npos) {
        host = std::string_view(s).substr(0, colon), port = std::string_view(s).substr(colon + 1);
      }
      unsigned n = 0;
      auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
      const bool port_ok = !port.empty() && ec == std::errc{} && p == port.data() + port.size() && n >= 1 && n <= 65535;
      if (port_ok && (is_ldh_name(host) || is_ip4(host) || is_ip6(host))) return std::nullopt;
      return k.path + ": " + q + " is not \"host:port\", \"ip:port\" or \"[ipv6]:port\"";
    }
  }
  return std::nullopt;
}

}  // namespace hearth::config::detail

namespace hearth::config {

bool is_ip4(std::string_view text) {
  if (text.empty() || text.size() > 15) return false;
  std::string s(text);
  in_addr a;
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool is_ip6(std::string_view text) {
  if (text.empty() || text.size() > 45) return false;
  std::string s(text);
  in6_addr a;
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

std::optional<server_address> parse_server_address(std::string_view text, std::uint16_t default_port) {
  auto port_of = [](std::string_view p) -> std::optional<std::uint16_t> {
    unsigned n = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    if (ec != std::errc{} || end != p.data() + p.size() || p.empty() || n == 0 || n > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(n);
  };
  if (is_ip4(text) || is_ip6(text)) return server_address{std::string(text), default_port};
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    auto ip = text.substr(1, close - 1);
    if (!is_ip6(ip)) return std::nullopt;
    auto rest = text.substr(close + 1);
    if (rest.empty()) return server_address{std::string(ip), default_port};
    if (rest.front() != ':') return std::nullopt;
    auto port = port_of(rest.substr(1));
    if (!port) return std::nullopt;
    return server_address{std::string(ip), *port};
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || !is_ip4(text.substr(0, colon))) return std::nullopt;
  auto port = port_of(text.substr(colon + 1));
  if (!port) return std::nullopt;
  return server_address{std::string(text.substr(0, colon)), *port};
}

}  // namespace hearth::config
