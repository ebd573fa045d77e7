// load() and parse(): check a TOML document against the schema (schema.cpp), collecting
// every problem with its position before giving up.
#include "core/config/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "core/config/schema.hpp"
#include "core/util/strings.hpp"

namespace hearth::config {

const char* service_name(service s) {
  switch (s) {
    case service::smtp: return "smtp";
    case service::submission: return "submission";
    case service::submissions: return "submissions";
    case service::imap: return "imap";
    case service::imaps: return "imaps";
    case service::pop3: return "pop3";
    case service::pop3s: return "pop3s";
    case service::managesieve: return "managesieve";
    case service::https: return "https";
    case service::xmpp_client: return "xmpp_client";
    case service::xmpps_client: return "xmpps_client";
    case service::xmpp_server: return "xmpp_server";
    case service::xmpps_server: return "xmpps_server";
  }
  return "unknown";
}

std::uint16_t standard_port(service s) {
  switch (s) {
    case service::smtp: return 25;          // RFC 5321 §4.5.4.2 (MX)
    case service::submission: return 587;   // RFC 6409 §3.1
    case service::submissions: return 465;  // RFC 8314 §7.3
    case service::imap: return 143;
    case service::imaps: return 993;        // RFC 8314 §7.3
    case service::pop3: return 110;
    case service::pop3s: return 995;        // RFC 8314 §7.3
    case service::managesieve: return 4190; // RFC 5804 §1.8
    case service::https: return 443;
    case service::xmpp_client: return 5222; // RFC 6120 §14.7
    case service::xmpps_client: return 5223;  // XEP-0368
    case service::xmpp_server: return 5269; // RFC 6120 §14.7
    case service::xmpps_server: return 5270;  // XEP-0368
  }
  return 0;
}

tls_mode service_tls(service s) {
  switch (s) {
    case service::submissions:
    case service::imaps:
    case service::pop3s:
    case service::https:
    case service::xmpps_client:
    case service::xmpps_server:
      return tls_mode::implicit;
    default:
      return tls_mode::starttls;
  }
}

std::vector<listener> default_listeners() {
  std::vector<listener> out;
  for (service s : all_services) out.push_back(listener{s, {}, standard_port(s)});
  return out;
}

const listener& config::listen(service s) const {
  for (const auto& l : listeners)
    if (l.svc == s) return l;
  static const std::vector<listener> disabled = [] {
    std::vector<listener> d;
    for (service x : all_services) d.push_back(listener{x, {}, 0});
    return d;
  }();
  return disabled[static_cast<std::size_t>(s)];
}

std::vector<std::string> config::bind_addresses(service s) const {
  const auto& l = listen(s);
  return l.addresses.empty() ? listen_addresses : l.addresses;
}

namespace {

using namespace detail;

constexpr std::size_t max_file_size = 1 << 20;
constexpr std::size_t max_problems = 50;  // a garbage file should not print a megabyte

const char* type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "nothing";
  }
}

const char* kind_name(kind k) {
  switch (k) {
    case kind::boolean: return "a boolean";
    case kind::integer: return "an integer";
    case kind::string: return "a string";
    case kind::string_list: return "an array of strings";
  }
  return "?";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The known key or table nearest to an unknown path: a small edit distance (typo, case), or
// else the one key with the same last name (a key put under the wrong table).
std::optional<std::string> suggest(const std::string& path, scope sc) {
  if (path.size() > 100) return std::nullopt;  // keeps the quadratic distance cheap
  std::vector<std::string> known;
  for (const auto& k : keys())
    if (k.where == sc) known.push_back(k.path);
  if (sc == scope::config)
    for (const auto& t : tables()) known.push_back(t.path);
  const std::string lower = util::to_lower(path);
  std::optional<std::string> best;
  std::size_t best_d = 2 + path.size() / 10 + 1;
  for (const auto& k : known) {
    std::size_t d = edit_distance(lower, k);
    if (d < best_d) best_d = d, best = k;
  }
  if (best) return best;
  const std::string last = lower.substr(lower.rfind('.') + 1);
  for (const auto& k : known)
    if (k.substr(k.rfind('.') + 1) == last) {
      if (best) return std::nullopt;  // ambiguous
      best = k;
    }
  return best;
}

struct problem {
  std::uint32_t line, column;
  std::string message;
};

class checker {
 public:
  explicit checker(config& cfg) : cfg_(cfg) {}

  void add(const toml::source_region& r, std::string message) {
    problems_.push_back(problem{r.begin.line ? r.begin.line : 1, r.begin.column ? r.begin.column : 1,
                                std::move(message)});
  }
  std::vector<problem>& problems() { return problems_; }
  const std::map<std::string, toml::source_region>& present() const { return present_; }

  // Walks one table; `obj` is the config or the certificate that scope `sc` keys are set on.
  void walk(const toml::table& t, const std::string& prefix, scope sc, void* obj,
            std::map<std::string, toml::source_region>& present) {
    for (auto&& [key, node] : t) {
      const std::string name(key.str());
      const std::string path = prefix.empty() ? name : prefix + "." + name;
      // A quoted key holding a dot ("server.hostname" = ...) is one key, never a schema path.
      if (name.find('.') == std::string::npos) {
        if (const key_def* k = find_key(path, sc)) {
          present[path] = key.source();
          if (auto v = read_value(*k, node)) k->set(obj, *v);
          continue;
        }
        if (sc == scope::config) {
          if (const table_def* td = find_table(path); td && td->array) {
            read_array_tables(path, node);
            continue;
          }
          if (is_table_path(path)) {
            if (const toml::table* sub = node.as_table())
              walk(*sub, path, sc, obj, present);
            else
              add(node.source(), path + ": expected a table, got " + type_name(node.type()));
            continue;
          }
        }
      }
      std::string msg = std::string("unknown ") + (node.is_table() ? "table " : "key ") + path;
      if (auto s = suggest(path, sc)) msg += " (did you mean " + *s + "?)";
      add(key.source(), std::move(msg));
    }
  }

  void walk_root(const toml::table& root) { walk(root, "", scope::config, &cfg_, present_); }

 private:
  static bool is_table_path(const std::string& path) {
    for (const auto& k : keys())
      if (k.path.size() > path.size() && k.path.compare(0, path.size(), path) == 0 && k.path[path.size()] == '.')
        return true;
    return false;
  }

  std::optional<value> read_value(const key_def& k, const toml::node& n) {
    switch (k.type) {
      case kind::boolean:
        if (auto b = n.as_boolean()) return value{b->get()};
        break;
      case kind::integer:
        if (auto i = n.as_integer()) {
          if (auto p = check_integer(k, i->get())) return add(n.source(), *p), std::nullopt;
          return value{i->get()};
        }
        break;
      case kind::string:
        if (auto s = n.as_string()) {
          if (auto p = check_string(k, s->get())) return add(n.source(), *p), std::nullopt;
          return value{s->get()};
        }
        break;
      case kind::string_list:
        if (auto a = n.as_array()) {
          std::vector<std::string> out;
          bool ok = true;
          for (const auto& e : *a) {
            if (auto s = e.as_string()) {
              if (auto p = check_string(k, s->get())) add(e.source(), *p), ok = false;
              else out.push_back(s->get());
            } else {
              add(e.source(), k.path + ": expected strings, got " + type_name(e.type()));
              ok = false;
            }
          }
          if (ok && k.non_empty && out.empty()) add(n.source(), k.path + ": must not be empty"), ok = false;
          if (!ok) return std::nullopt;
          return value{std::move(out)};
        }
        break;
    }
    add(n.source(), k.path + ": expected " + kind_name(k.type) + ", got " + type_name(n.type()));
    return std::nullopt;
  }

  // [[tls.certificate]], [[smtp.route]] and [[xmpp.component]]: each element is checked on
  // its own, required keys included.
  void read_array_tables(const std::string& path, const toml::node& node) {
    const toml::array* arr = node.as_array();
    if (!arr || (!arr->empty() && !arr->is_array_of_tables())) {
      add(node.source(), path + ": expected [[" + path + "]] blocks, got " + type_name(node.type()));
      return;
    }
    const scope sc = path == "smtp.route"       ? scope::route
                     : path == "xmpp.component" ? scope::component
                                                : scope::certificate;
    for (const auto& e : *arr) {
      certificate c;
      route r;
      xmpp_component xc;
      void* obj = sc == scope::route       ? static_cast<void*>(&r)
                  : sc == scope::component ? static_cast<void*>(&xc)
                                           : static_cast<void*>(&c);
      std::map<std::string, toml::source_region> present;
      walk(*e.as_table(), path, sc, obj, present);
      for (const auto& k : keys())
        if (k.where == sc && k.required && !present.count(k.path))
          add(e.source(), "[[" + path + "]]: missing required key " + k.name());
      if (sc == scope::route) {
        check_route(r, e.source());
        cfg_.smtp_routes.push_back(std::move(r));
      } else if (sc == scope::component) {
        for (const auto& other : cfg_.xmpp_components)
          if (!xc.domain.empty() && other.domain == xc.domain)
            add(e.source(), "[[xmpp.component]]: domain " + xc.domain + " is configured twice");
        cfg_.xmpp_components.push_back(std::move(xc));
      } else {
        cfg_.certificates.push_back(std::move(c));
      }
    }
  }

  // A route that matches nothing or sends nowhere is a mistake, not a no-op.
  void check_route(const route& r, const toml::source_region& at) {
    if (r.domains.empty() && r.mx.empty()) add(at, "[[smtp.route]]: needs domains or mx (which mail it takes)");
    if (r.relay.empty() && r.fallback_relay.empty())
      add(at, "[[smtp.route]]: needs relay or fallback_relay (where the mail goes)");
    if (r.username.empty() != r.password_file.empty())
      add(at, "[[smtp.route]]: username and password_file go together");
  }

  config& cfg_;
  std::vector<problem> problems_;
  std::map<std::string, toml::source_region> present_;
};

bool overlap(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  auto covers = [](const std::string& x, const std::string& y) {
    return x == y || (x == "0.0.0.0" && is_ip4(y)) || (x == "::" && is_ip6(y));
  };
  for (const auto& x : a)
    for (const auto& y : b)
      if (covers(x, y) || covers(y, x)) return true;
  return false;
}

// Two listeners on one port and address would fail at bind(); say so here, with the line.
void check_listeners(const config& cfg, checker& chk) {
  for (std::size_t i = 0; i < std::size(all_services); ++i)
    for (std::size_t j = i + 1; j < std::size(all_services); ++j) {
      service a = all_services[i], b = all_services[j];
      if (cfg.listen(a).port == 0 || cfg.listen(a).port != cfg.listen(b).port) continue;
      if (!overlap(cfg.bind_addresses(a), cfg.bind_addresses(b))) continue;
      std::string at = std::string("listen.") + service_name(b);
      auto it = chk.present().find(at);
      if (it == chk.present().end()) it = chk.present().find(std::string("listen.") + service_name(a));
      toml::source_region r{};
      if (it != chk.present().end()) r = it->second;
      chk.add(r, at + ": port " + std::to_string(cfg.listen(b).port) + " is already used by listen." +
                     service_name(a));
    }
}

// A node's heartbeat must land several times within its lease, or a slow beat (a busy
// database) makes the other nodes take a live node's sessions and rooms for gone.
void check_cluster_timing(const config& cfg, checker& chk) {
  if (std::uint64_t(cfg.xmpp_node_heartbeat) * 3 < cfg.xmpp_node_lease) return;
  auto it = chk.present().find("xmpp.node_heartbeat");
  if (it == chk.present().end()) it = chk.present().find("xmpp.node_lease");
  toml::source_region r{};
  if (it != chk.present().end()) r = it->second;
  chk.add(r, "xmpp.node_heartbeat: " + std::to_string(cfg.xmpp_node_heartbeat) +
                 " s must be under a third of xmpp.node_lease (" + std::to_string(cfg.xmpp_node_lease) + " s)");
}

std::filesystem::path absolute_path(const std::filesystem::path& p) {
  std::error_code ec;
  auto a = std::filesystem::absolute(p, ec);
  return (ec ? p : a).lexically_normal();
}

// Relative paths are against the config file's folder, so `hearth serve` works from any cwd.
void resolve_paths(config& cfg) {
  const auto base = absolute_path(cfg.file).parent_path();
  for (const auto& k : keys()) {
    if (k.check != syntax::path) continue;
    auto fix = [&](void* obj) {
      std::filesystem::path p = std::get<std::string>(k.get(obj));
      if (!p.empty() && p.is_relative()) k.set(obj, (base / p).lexically_normal().generic_string());
    };
    if (k.where == scope::config) fix(&cfg);
    else if (k.where == scope::route)
      for (auto& r : cfg.smtp_routes) fix(&r);
    else if (k.where == scope::component)
      for (auto& x : cfg.xmpp_components) fix(&x);
    else
      for (auto& c : cfg.certificates) fix(&c);
  }
}

std::string format(const std::filesystem::path& name, std::vector<problem> problems) {
  std::stable_sort(problems.begin(), problems.end(), [](const problem& a, const problem& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  std::string out;
  for (std::size_t i = 0; i < problems.size() && i < max_problems; ++i) {
    if (i) out += '\n';
    out += name.string() + ":" + std::to_string(problems[i].line) + ":" + std::to_string(problems[i].column) +
           ": " + problems[i].message;
  }
  if (problems.size() > max_problems)
    out += "\n" + name.string() + ": " + std::to_string(problems.size() - max_problems) + " more problems";
  return out;
}

}  // namespace

result<config> parse(std::string_view text, const std::filesystem::path& name) {
  if (text.size() > max_file_size)
    return fail("config.invalid", name.string() + ":1:1: larger than " + std::to_string(max_file_size) + " bytes");
  toml::table doc;
  try {
    doc = toml::parse(text, name.string());
  } catch (const toml::parse_error& e) {
    problem p{e.source().begin.line ? e.source().begin.line : 1, e.source().begin.column ? e.source().begin.column : 1,
              "TOML syntax: " + std::string(e.description())};
    return fail("config.invalid", format(name, {p}));
  }

  config cfg;
  cfg.file = absolute_path(name);
  cfg.listeners = default_listeners();
  for (const auto& k : keys())
    if (k.where == scope::config) k.set(&cfg, k.def);

  checker chk(cfg);
  chk.walk_root(doc);
  for (const auto& k : keys()) {
    if (k.where != scope::config || !k.required || chk.present().count(k.path)) continue;
    toml::source_region r{};
    if (const toml::node* t = doc.at_path(k.table()).node()) r = t->source();
    chk.add(r, "missing required key " + k.path);
  }
  check_listeners(cfg, chk);
  check_cluster_timing(cfg, chk);
  if (!chk.problems().empty()) return fail("config.invalid", format(name, std::move(chk.problems())));
  resolve_paths(cfg);
  return cfg;
}

result<config> load(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) return fail("config.io", file.string() + ": is a directory");
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail("config.io", file.string() + ": cannot open: " + std::strerror(errno));
  std::string text(max_file_size + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return fail("config.io", file.string() + ": cannot read: " + std::strerror(errno));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return parse(text, file);
}

}  // namespace hearth::config
