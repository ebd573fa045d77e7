// The config schema: one table of every key, the single source for load(), render() and
// example(). Internal to core/config (tests use it too); other folders use config.hpp.
//
// Adding a key: a field in `struct config` (with its default as initializer) and one line in
// the area's schema_keys_*.cpp (core, mail, services, xmpp); a unit test checks that the two
// defaults agree.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/config/config.hpp"

namespace hearth::config::detail {

// A TOML value as the schema sees it; integers are TOML's int64.
using value = std::variant<bool, std::int64_t, std::string, std::vector<std::string>>;

enum class kind { boolean, integer, string, string_list };

// Syntax a string (or each string of a list) must have.
enum class syntax {
  any,
  dns_name,        // host name / DKIM selector: LDH labels, 1..63 octets each, 253 in all
  sni_name,        // dns_name, or "*." + dns_name (a wildcard certificate)
  ip4,             // empty allowed (= unknown)
  ip6,             // empty allowed
  ip,              // IPv4 or IPv6 literal
  server_address,  // parse_server_address()
  path,            // made absolute against the config file's folder
  name_pattern,    // "*", or a dns_name, or "*." + dns_name (route patterns)
  host_port,       // "host:port", "ip:port" or "[ipv6]:port", port required
  database_url,    // empty, postgres:// or postgresql:// URL, or libpq keywords; never echoed (passwords)
};

// Where a key lives: in `config`, or in one [[tls.certificate]] element (`certificate`), or
// in one [[smtp.route]] element (`route`), or in one [[xmpp.component]] element (`xmpp_component`).
enum class scope { config, certificate, route, component };

struct key_def {
  std::string path;   // dotted: "server.threads"; certificate keys: "tls.certificate.cert"
  kind type = kind::string;
  value def;          // default, the same as the struct initializer
  std::string doc;    // one line, no trailing period
  syntax check = syntax::any;
  std::int64_t min = 0, max = 0;        // integers: allowed range
  std::vector<std::string> one_of;      // strings: allowed values, when not empty
  bool required = false;                // must be present (and not empty)
  bool non_empty = false;               // an empty string or list is an error
  scope where = scope::config;
  std::function<value(const void*)> get;        // from config* / certificate*
  std::function<void(void*, const value&)> set;

  key_def&& needed() && { required = non_empty = true; return std::move(*this); }
  key_def&& not_empty() && { non_empty = true; return std::move(*this); }
  key_def&& allowed(std::vector<std::string> v) && { one_of = std::move(v); return std::move(*this); }

  std::string table() const { return path.substr(0, path.rfind('.')); }
  std::string name() const { return path.substr(path.rfind('.') + 1); }
};

struct table_def {
  std::string path;  // "server", "smtp.outbound", "tls.certificate" (an array of tables)
  std::string doc;   // header comment
  bool array = false;
};

// Schema order is render order. Built once; thread-safe.
const std::vector<key_def>& keys();
const std::vector<table_def>& tables();
const key_def* find_key(std::string_view path, scope s);
const table_def* find_table(std::string_view path);

// The TOML literal of a value: "text" with escapes, 25, true, ["a", "b"].
std::string format_value(const value& v);
// "0..256", "trace|debug|info|warn|error", or "" when anything of the type goes.
std::string allowed_text(const key_def& k);
// Problem with one string (or one list element) for key k, or nullopt when it is fine.
std::optional<std::string> check_string(const key_def& k, const std::string& s);
// Problem with an integer for key k, or nullopt.
std::optional<std::string> check_integer(const key_def& k, std::int64_t n);

}  // namespace hearth::config::detail
