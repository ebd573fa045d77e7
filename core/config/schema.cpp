// The schema table (see schema.hpp) and the value checks it names.
#include "core/config/schema.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <type_traits>

#include "core/config/schema_build.hpp"

namespace hearth::config::detail {
namespace {

std::vector<key_def> build_keys() {
  std::vector<key_def> k;
  add_core_keys(k);
  add_mail_keys(k);
  add_service_keys(k);
  add_xmpp_keys(k);
  return k;
}

std::vector<table_def> build_tables() {
  return {
      {"server", "This machine."},
      {"database", "Where the stores live: SQLite files in server.data_dir (the default), or one PostgreSQL database shared by several nodes."},
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

// What sql::open() takes for PostgreSQL: a URL (RFC 3986 form that libpq parses, "postgres://"
// or "postgresql://"), or libpq's keyword form ("host=... dbname=...", libpq §34.1.1), which
// must name a host or a database (that is how sql::is_postgres_target tells it from a path).
// libpq itself checks the rest when it connects; this catches a SQLite path or another
// engine's URL written here, and stray control characters.
std::optional<std::string> check_database_url(const key_def& k, std::string_view s) {
  const std::string want =
      " (want postgres://USER@HOST/DBNAME or libpq keywords \"host=... dbname=...\"; leave it empty for SQLite)";
  if (s.size() > 4096) return k.path + ": longer than 4096 characters";
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return k.path + ": contains a control character";
  for (std::string_view scheme : {"postgres://", "postgresql://"})
    if (s.starts_with(scheme)) {
      if (s.find(' ') != std::string_view::npos) return k.path + ": a URL has no spaces (percent-encode them)" + want;
      return std::nullopt;
    }
  if (s.find("://") != std::string_view::npos) return k.path + ": only PostgreSQL URLs are supported" + want;
  // Keyword form: space-separated key=value pairs; values may be single-quoted.
  bool names_server = false;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i == s.size()) break;
    std::size_t key_start = i;
    while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) ++i;
    std::string_view key = s.substr(key_start, i - key_start);
    while (i < s.size() && s[i] == ' ') ++i;
    if (key.empty() || i == s.size() || s[i] != '=') return k.path + ": not a PostgreSQL URL or key=value list" + want;
    ++i;
    while (i < s.size() && s[i] == ' ') ++i;
    if (i < s.size() && s[i] == '\'') {
      ++i;
      while (i < s.size() && s[i] != '\'') i += (s[i] == '\\' && i + 1 < s.size()) ? 2 : 1;
      if (i >= s.size()) return k.path + ": unterminated quoted value" + want;
      ++i;
    } else {
      while (i < s.size() && s[i] != ' ') ++i;
    }
    if (key == "host" || key == "hostaddr" || key == "dbname") names_server = true;
  }
  if (!names_server) return k.path + ": libpq keywords must name host= or dbname=" + want;
  return std::nullopt;
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
  // The URL may carry a password, so its errors name the key, never the value.
  if (k.check == syntax::database_url && !s.empty()) return check_database_url(k, s);
  if (s.find('\0') != std::string::npos) return k.path + ": " + q + " contains a NUL character";
  if (s.empty()) {
    if (k.non_empty) return k.path + ": must not be empty";
    if (k.check == syntax::ip4 || k.check == syntax::ip6 || k.check == syntax::path || k.check == syntax::any ||
        k.check == syntax::host_port || k.check == syntax::database_url)
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
    case syntax::database_url:  // checked above
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
