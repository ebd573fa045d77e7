// The schema keys of mail: [smtp] with its queue and routes, [dkim], [mailauth], [zone], [reports],
// [blocklists], [imap], [managesieve].
#include "core/config/schema_build.hpp"

namespace hearth::config::detail {

void add_mail_keys(std::vector<key_def>& k) {
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
  k.push_back(integer("smtp.queue.claim_lease", 120, 3, 3600,
                      "seconds a node's claim on the recipients it delivers lasts unless renewed (every third of it); "
                      "a node killed mid-delivery holds them this long before another node takes over",
                      bind<&config::smtp_queue_claim_lease>()));
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
}

}  // namespace hearth::config::detail
