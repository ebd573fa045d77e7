// Hearth's configuration: one typed structure (STYLE.md habit 9).
//
// The TOML schema, its defaults and the documentation of every key live in one table in
// config.cpp; load() checks a file against it, example() renders the commented example
// (conf/hearth.toml.example is that output, checked by a test), and render() writes a
// complete config for `hearth quickstart`.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::config {

// The listeners, in the order they are started. Names are the keys under [listen].
enum class service {
  smtp,          // 25   MX, STARTTLS
  submission,    // 587  STARTTLS required before AUTH
  submissions,   // 465  implicit TLS
  imap,          // 143  STARTTLS
  imaps,         // 993  implicit TLS
  pop3,          // 110  STARTTLS (STLS)
  pop3s,         // 995  implicit TLS
  managesieve,   // 4190 STARTTLS
  https,         // 443  implicit TLS
  xmpp_client,   // 5222 STARTTLS
  xmpps_client,  // 5223 direct TLS (XEP-0368)
  xmpp_server,   // 5269 STARTTLS
  xmpps_server,  // 5270 direct TLS
};
inline constexpr service all_services[] = {
    service::smtp,        service::submission, service::submissions,  service::imap,
    service::imaps,       service::pop3,       service::pop3s,        service::managesieve,
    service::https,       service::xmpp_client, service::xmpps_client, service::xmpp_server,
    service::xmpps_server};

enum class tls_mode { starttls, implicit };

const char* service_name(service s);         // "smtp", "xmpp_client", ...
std::uint16_t standard_port(service s);      // 25, 587, ...
tls_mode service_tls(service s);

struct listener {
  service svc;
  std::vector<std::string> addresses;  // IP literals; empty = listen.addresses
  std::uint16_t port = 0;              // 0 = disabled
};

// One listener per service at its standard port, addresses from listen.addresses: the
// defaults load() starts from (config{} holds them too).
std::vector<listener> default_listeners();

struct certificate {
  std::vector<std::string> hosts;      // names this certificate serves (SNI); the first one is the default
  std::filesystem::path cert_file;     // PEM chain, absolute after load()
  std::filesystem::path key_file;      // PEM key, absolute after load()
};

// One [[smtp.route]] block: where mail for some destinations goes instead of (or besides)
// their MX hosts. The queue (mail/queue/route.hpp) decides which route applies.
struct route {
  std::vector<std::string> domains;    // recipient-domain patterns ("example.org", "*.example.org", "*")
  std::vector<std::string> mx;         // MX-host patterns ("*.mail.protection.outlook.com")
  std::string relay;                   // "host:port" taking every message of the route, "" = none
  std::string fallback_relay;          // "host:port" for messages refused with a blocklist reply
  std::string username;                // AUTH at the relays (over STARTTLS only), "" = none
  std::filesystem::path password_file; // the password, first line; readable by the server only
};

// One [[xmpp.component]] block: an external component (XEP-0114) that connects to the
// component port and serves a domain of its own.
struct xmpp_component {
  std::string domain;                   // the component's JID, e.g. "push.example.org"
  std::string name;                     // shown in the server's disco#items; "" = the domain
  std::filesystem::path secret_file;    // the handshake secret, first line; readable by the server only
};

struct config {
  std::filesystem::path file;          // the file this was loaded from (absolute)

  // [server]
  std::string hostname;                // this machine's public name: EHLO, MX target, certificates
  std::filesystem::path data_dir = "/var/lib/hearth";  // absolute after load(); relative paths are against the file's folder
  unsigned threads = 0;                // 0 = one per core
  unsigned max_connections_per_ip = 50;  // all listeners together; 0 = no limit
  std::string ip4, ip6;                // public addresses, used by the zone generator

  // [database]: where the stores live. Empty url = SQLite files in data_dir; a PostgreSQL URL
  // or libpq keywords = one database shared by every node. Never log the url (it may carry a
  // password): log sql::database::describe().
  std::string database_url;
  std::filesystem::path database_blobs;  // blob store folder, shared by nodes; empty = data_dir/blobs
  std::string database_blob_store = "files";  // "files" (small ones in the database) or "database" (all)
  std::uint64_t database_inline_max = 64 * 1024;  // bodies up to this size live in the database
  unsigned database_pool = 0;  // PostgreSQL connections per node, all stores together; 0 = 2 x threads + 4

  // [log]
  std::string log_level = "info";
  std::filesystem::path log_file;      // empty = stderr

  // [listen]
  std::vector<std::string> listen_addresses{"0.0.0.0", "::"};
  std::vector<listener> listeners = default_listeners();  // one per service, in all_services order
  unsigned read_timeout_seconds = 300; // idle limit on every read before a protocol says otherwise
  std::size_t max_line_length = 8192;  // default limit of the shared line reader

  // [tls]
  std::vector<certificate> certificates;

  // [dns]
  std::vector<std::string> dns_servers;  // "ip:port" or "ip" (port 53); empty = the system resolver
  bool dnssec = true;                    // validate when a trust anchor is available
  // DNSSEC trust anchor (DS or DNSKEY records, zone-file syntax); a private root or a test zone
  std::filesystem::path dns_trust_anchor_file = "/usr/share/dns/root.key";

  // [auth]
  unsigned auth_delay_after = 3;         // failures (per IP or account) before answers slow down
  unsigned auth_block_after = 10;        // failures before refusing for block_seconds
  unsigned auth_block_seconds = 900;
  unsigned auth_window_seconds = 900;    // failures older than this are forgotten
  std::vector<std::string> auth_scram_plus;  // protocols offering SCRAM-*-PLUS (none by default)

  // [smtp]
  std::uint64_t smtp_max_message_size = 50ull * 1024 * 1024;
  unsigned smtp_max_recipients = 100;
  unsigned smtp_command_timeout = 300;       // seconds
  unsigned smtp_data_timeout = 600;          // seconds
  unsigned smtp_max_errors = 10;
  unsigned smtp_max_connections_per_ip = 20; // 0 = no limit
  // [smtp.outbound]
  std::uint16_t smtp_outbound_port = 25;
  bool smtp_outbound_mta_sts = true;         // apply recipient domains' MTA-STS policies (RFC 8461)
  std::uint16_t smtp_outbound_https_port = 443;  // port of MTA-STS policy hosts (tests point it elsewhere)
  std::filesystem::path smtp_outbound_ca_file;   // extra CAs (PEM) for MTA-STS policy hosts and MX certificates
  // [smtp.queue]: the outbound queue's retry schedule, in seconds (mail/queue)
  unsigned smtp_queue_first_retry = 300;
  unsigned smtp_queue_max_retry = 4 * 3600;
  unsigned smtp_queue_give_up = 5 * 24 * 3600;
  unsigned smtp_queue_delay_warning = 4 * 3600;
  unsigned smtp_queue_claim_lease = 120;  // seconds a node's claim on a recipient lasts unless renewed
  std::vector<route> smtp_routes;       // [[smtp.route]]
  std::vector<std::string> smtp_queue_bind_addresses;  // outgoing source addresses (one per family)

  // [dkim]
  std::string dkim_selector = "hearth";
  bool dkim_sign = true;  // sign mail from our users (mail/mailauth)

  // [mailauth]: checks of incoming mail on the MX port, hygiene of outgoing mail (mail/mailauth)
  bool mailauth_spf = true;
  bool mailauth_dkim_verify = true;
  bool mailauth_dmarc = true;
  std::vector<std::string> mailauth_strip_headers{"X-Forwarded-For", "X-Client-IP"};
  std::filesystem::path mailauth_public_suffix_list = "/usr/share/publicsuffix/public_suffix_list.dat";
  // Forwarding: SRS on the envelope sender, ARC sets (mail/mailauth/forwarding)
  bool mailauth_srs = true;
  std::string mailauth_srs_domain;     // "" = the first (primary) domain
  unsigned mailauth_srs_max_age = 21;  // days an SRS address is accepted back
  bool mailauth_arc = true;            // verify incoming ARC chains, seal what we forward

  // [zone]: what `hearth dns zone` publishes and `hearth dns check` expects
  unsigned zone_ttl = 3600;
  std::vector<std::string> zone_backup_mx;       // host names, published with a higher preference
  std::vector<std::string> zone_caa;             // CA domains allowed to issue ("letsencrypt.org"); empty = no CAA
  std::vector<std::string> zone_spf_extra;       // further outbound IPs for SPF (ip4/ip6 literals or CIDR)
  std::string zone_dmarc_policy = "quarantine";  // none | quarantine | reject (RFC 7489 §6.3 p=)
  std::string zone_report_local = "postmaster";  // local part receiving DMARC rua and TLS-RPT reports
  std::string zone_mta_sts_mode = "testing";     // none | testing | enforce (RFC 8461 §3.2)
  unsigned zone_mta_sts_max_age = 604800;
  // DANE (RFC 7672): publish TLSA 3 1 1 for the MX host's certificate key; only when renewals
  // keep the key (the zone would otherwise name a key the server no longer has)
  bool zone_tlsa = false;
  std::filesystem::path zone_tlsa_next;          // the next key (PEM key or certificate), published beside the current one

  // [reports]: DMARC and TLS-RPT reports we send (mail/reports); received ones are always read
  bool reports_send_dmarc = false;  // daily DMARC aggregate reports to the rua= of domains we received mail from
  bool reports_send_tls = false;    // daily TLS-RPT reports to domains we delivered to that publish _smtp._tls

  // [imap]: limits of every IMAP session
  std::size_t imap_max_line = 64 * 1024;         // one command line outside literals
  std::uint64_t imap_max_literal = 64ull << 20;  // an APPEND literal; advertised as APPENDLIMIT (RFC 7889)
  unsigned imap_search_depth = 32;               // nesting of OR/NOT/() in SEARCH, SORT and THREAD
  unsigned imap_idle_timeout = 1800;             // seconds without a command once logged in (RFC 9051 §5.4)
  unsigned imap_max_errors = 20;                 // BAD responses before the session is closed
  unsigned imap_progress_interval = 10;          // seconds between RFC 9585 INPROGRESS notes

  // [managesieve]: the Sieve script store and its protocol (RFC 5804)
  unsigned managesieve_max_scripts = 20;                 // scripts per account
  std::uint64_t managesieve_max_script_size = 64 * 1024;  // one script, in octets
  std::uint64_t managesieve_max_total_size = 1024 * 1024; // all of an account's scripts
  unsigned managesieve_max_errors = 20;                  // syntax errors before a session is closed
  std::string managesieve_before;                        // global script run before each user's ("" = none)
  std::string managesieve_after;                         // global script run after each user's ("" = none)

  // [http]
  std::uint64_t http_max_body_size = 20ull * 1024 * 1024;  // request bodies (413 above)
  unsigned http_header_timeout = 30;   // seconds for a whole request head (slowloris)
  unsigned http_body_timeout = 20;     // seconds for a body, plus one per http_body_min_rate octets
  unsigned http_body_min_rate = 500;   // octets per second a slow body must keep up; 0 = no extension
  // [web]: the web console (web/)
  unsigned web_session_lifetime = 12 * 3600;  // seconds a sign-in lasts, used or not
  unsigned web_session_idle = 2 * 3600;       // seconds without a request before it ends; 0 = never
  // [dav]
  std::uint64_t dav_max_resource_size = 10ull * 1024 * 1024;  // one calendar object or vCard (max-resource-size)

  // [blocklists]: DNS blocklists checked by `hearth dns check` (and later by inbound filtering)
  std::vector<std::string> blocklists_ip{"zen.spamhaus.org", "bl.spamcop.net", "b.barracudacentral.org"};
  std::vector<std::string> blocklists_domain{"dbl.spamhaus.org"};

  // [filter.*] (mail/filter): checks of incoming mail on the MX port. Scores are
  // decimal text ("1.5"); a rule is a score or "reject"; lists are "zone", "zone:WEIGHT" or
  // "zone:reject". Durations in seconds.
  std::string filter_rdns_none = "1.5";          // client without a PTR name
  std::string filter_rdns_mismatch = "1";        // PTR name not resolving back to the client
  std::string filter_helo_not_fqdn = "1";        // EHLO argument not a FQDN or address literal
  bool filter_greylist_enabled = true;
  unsigned filter_greylist_passtime = 180;
  unsigned filter_greylist_greyexp = 4 * 3600;
  unsigned filter_greylist_whiteexp = 36 * 24 * 3600;
  std::vector<std::string> filter_greylist_allowlist;  // IPs, CIDR networks, client host names
  std::vector<std::string> filter_dnsbl_client;  // DNSBL/DNSWL zones for the client address
  std::vector<std::string> filter_dnsbl_sender;  // RHSBL zones for the sender domain
  std::vector<std::string> filter_dnsbl_uri;     // URIBL zones for the link domains of the body
  std::string filter_dnsbl_weight = "3";         // weight of a list without one
  std::string filter_spam_threshold = "5";       // Junk at or above
  std::string filter_spam_reject_threshold = "15";  // 550 5.7.1 at or above
  // [filter.decisions]: what was decided for each incoming message (mail/filter/decisions)
  unsigned filter_decisions_days = 30;        // kept this long; 0 = not kept
  unsigned filter_decisions_max = 200000;     // at most this many (the oldest go first)
  // [filter.bayes]: the learning spam filter (mail/filter/bayes)
  bool filter_bayes_enabled = true;
  unsigned filter_bayes_min_spam = 200;        // trained spam needed before it votes
  unsigned filter_bayes_min_ham = 200;
  std::string filter_bayes_spam_cutoff = "0.995";  // classifier score at or above: spam
  std::string filter_bayes_ham_cutoff = "0.2";   // below: ham; between: unsure
  std::string filter_bayes_spam_score = "6";     // added to the spam score for BAYES_99
  std::string filter_bayes_ham_score = "-2";     // for BAYES_00
  bool filter_bayes_learn = true;                // learn from IMAP moves and Junk keywords
  bool filter_bayes_learn_site_wide = true;      // a user's lessons also count for everyone
  bool filter_bayes_trust_contacts = true;       // known senders never go to Junk by Bayes
  // [filter.antivirus]: clamd
  std::string filter_antivirus_clamd;            // "" = off; "/path/clamd.ctl" or "host:port"
  bool filter_antivirus_submission = false;      // also scan mail from our users
  std::string filter_antivirus_on_error = "defer";  // "defer" (451) or "accept" (marked)
  unsigned filter_antivirus_timeout = 30;
  std::uint64_t filter_antivirus_max_stream_bytes = 25ull << 20;
  // [backup_mx]: domains we are a backup MX for
  std::vector<std::string> backup_mx_domains;
  std::string backup_mx_recipients = "any";      // "any", or a file of addresses (one per line)
  unsigned backup_mx_retention = 7 * 24 * 3600;  // seconds a relayed message waits for the primary
  std::string backup_mx_sync_url;                // backup: the primary's https base URL ("" = no sync)
  std::string backup_mx_sync_secret;             // both: shared secret of the recipient sync
  unsigned backup_mx_sync_interval = 600;        // backup: seconds between syncs
  std::filesystem::path backup_mx_sync_ca_file;  // backup: extra CA (PEM) for the primary's certificate

  // [backup]: scheduled snapshots of the data directory (app/backup.hpp)
  std::filesystem::path backup_destination;  // "" = no scheduled backups
  unsigned backup_interval = 86400;          // seconds between two snapshots
  unsigned backup_retention = 7;             // snapshots kept; 0 = all

  // [xmpp]
  std::filesystem::path xmpp_s2s_ca_file;  // extra CA bundle trusted for other servers' certificates (federation)
  unsigned xmpp_s2s_give_up = 600;         // seconds of failed outgoing s2s attempts before queued stanzas bounce
  std::string xmpp_muc_subdomain = "conference";            // group chat on SUBDOMAIN.DOMAIN ("" = off)
  unsigned xmpp_muc_max_rooms_per_user = 100;                // rooms one account may own
  unsigned xmpp_muc_max_occupants = 10000;                   // occupants per room, cap over the room's own setting
  unsigned xmpp_muc_messages_per_second = 10;                // per occupant, bursts of 4x; 0 = no limit
  std::string xmpp_upload_subdomain = "upload";             // HTTP File Upload on SUBDOMAIN.DOMAIN ("" = off)
  unsigned xmpp_upload_max_file_mb = 100;                    // MiB per uploaded file
  unsigned xmpp_upload_quota_mb = 1024;                      // MiB of uploads per user; 0 = no quota
  unsigned xmpp_upload_slot_seconds = 300;                   // a slot's PUT must start within this
  unsigned xmpp_upload_expire_days = 0;                      // uploads older than this are removed; 0 = kept
  std::string xmpp_turn_host;                                // STUN/TURN server announced (XEP-0215); "" = none
  unsigned xmpp_turn_port = 3478;
  std::string xmpp_turn_secret;                              // coturn's static-auth-secret; "" = STUN only
  unsigned xmpp_turn_credential_hours = 24;                  // lifetime of the TURN credentials handed out
  std::uint64_t xmpp_max_stanza_size = 256 * 1024;          // bytes of one stanza (policy-violation above)
  unsigned xmpp_max_depth = 64;                              // element nesting inside a stanza
  unsigned xmpp_stanzas_per_second = 50;                     // per c2s connection, bursts of 4x; 0 = no limit
  unsigned xmpp_max_resources = 10;                          // connected resources per account
  unsigned xmpp_max_queue = 10000;                           // stanzas waiting for a slow client before it is dropped
  unsigned xmpp_offline_queue = 1000;                        // stored offline messages per account
  std::uint64_t xmpp_max_unauthenticated_bytes = 64 * 1024;  // bytes a c2s client may send before SASL succeeds
  // Origins whose web pages may use XMPP over WebSocket and BOSH; empty = the server's own
  // https origins (the host name and every hosted domain, on the HTTPS port).
  std::vector<std::string> xmpp_web_origins;
  // External components (XEP-0114) and push notifications (XEP-0357).
  std::vector<xmpp_component> xmpp_components;                // [[xmpp.component]]
  std::uint16_t xmpp_component_port = 5347;                  // plain TCP, only when a component is configured
  std::vector<std::string> xmpp_component_addresses{"127.0.0.1", "::1"};
  bool xmpp_push_summary = false;                            // message count and last sender in push notifications
  unsigned xmpp_push_max_per_account = 10;                   // push registrations one account may have
  unsigned xmpp_push_interval = 60;                          // seconds between pushes to one device while messages wait
  unsigned xmpp_node_lease = 90;       // seconds a node's XMPP sessions and rooms count after its last heartbeat
  unsigned xmpp_node_heartbeat = 5;    // seconds between a node's heartbeats (under a third of the lease)

  // The listener of a service; a disabled one (port 0) if `listeners` lacks it. Thread-safe
  // on a const config.
  const listener& listen(service s) const;
  // Addresses a service binds to: its own list (listen.addresses_for.NAME), or listen.addresses.
  std::vector<std::string> bind_addresses(service s) const;
};

// A DNS server as written in dns.servers: "ip", "ip:port", "[ipv6]", "[ipv6]:port" or a bare
// IPv6 literal. Returns nullopt when the text is none of these or the port is not 1..65535.
// Pure and thread-safe; load() uses it, so every dns.servers entry of a loaded config parses.
struct server_address {
  std::string ip;            // IP literal without brackets
  std::uint16_t port = 53;
};
std::optional<server_address> parse_server_address(std::string_view text,
                                                   std::uint16_t default_port = 53);
// IP literal checks (inet_pton syntax: dotted quad; RFC 4291 §2.2 text forms, no zone id).
bool is_ip4(std::string_view text);
bool is_ip6(std::string_view text);

// Reads and checks a file. Every problem is reported, not just the first, one per line as
// "FILE:LINE:COL: message" in error.message (code "config.invalid"; "config.io" if unreadable).
// Unknown keys (with the closest known key suggested), wrong types, out-of-range values,
// malformed addresses and a missing server.hostname are errors; a TOML syntax error stops the
// parse, so it is reported alone. Relative paths (server.data_dir, log.file, tls.certificate
// cert/key) are made absolute against the file's folder. Files above 1 MiB are refused.
// Thread-safe (no shared state).
result<config> load(const std::filesystem::path& file);
// The same, from text (for tests); `name` is used in messages.
result<config> parse(std::string_view text, const std::filesystem::path& name);

// Values `hearth quickstart` fills in; everything else keeps its default.
struct quickstart_values {
  std::string hostname;
  std::filesystem::path data_dir;            // written as given (relative to the config file's folder)
  unsigned port_offset = 0;
  std::optional<std::string> listen;         // one address for every listener
  std::string ip4, ip6;
  std::vector<certificate> certificates;     // paths written as given
  std::vector<std::string> dns_servers;
  std::string database_url;                  // [database] url; "" = SQLite in the data directory
};
// A complete config, every key preceded by "# doc [allowed] (default X)", grouped by table.
// Ports are standard_port + port_offset; listen sets listen.addresses to that one address.
// parse(render(v)) succeeds for any valid v and gives v's values back. Thread-safe.
std::string render(const quickstart_values& v);
// render() with hostname "mail.example.org", data_dir "data" and one example certificate:
// conf/hearth.toml.example is exactly this text (a unit test compares them).
std::string example();

}  // namespace hearth::config
