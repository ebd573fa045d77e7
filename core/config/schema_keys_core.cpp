// The schema keys of the server itself: [server], [log], [listen], [[tls.certificate]], [dns], [auth].
#include "core/config/schema_build.hpp"

namespace hearth::config::detail {

void add_core_keys(std::vector<key_def>& k) {
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
  // [database]
  k.push_back(str("database.url", "",
                  "PostgreSQL for every store, shared by the nodes: postgres://USER:PASSWORD@HOST:PORT/DBNAME or libpq "
                  "keywords \"host=... dbname=...\"; empty = SQLite files in server.data_dir",
                  bind<&config::database_url>(), syntax::database_url));
  k.push_back(str("database.blobs", "",
                  "message and file bodies (content-addressed); nodes sharing a database share this folder "
                  "(e.g. NFS); empty = server.data_dir/blobs",
                  bind<&config::database_blobs>(), syntax::path));
  k.push_back(integer("database.pool", 0, 0, 1000,
                      "PostgreSQL connections this node opens for its stores, all together (checked out per "
                      "statement or transaction; the event bus's two are extra); 0 = 2 x server.threads + 4",
                      bind<&config::database_pool>()));
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
}

}  // namespace hearth::config::detail
