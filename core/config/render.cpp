// render() and example(): a complete, commented config written from the schema.
#include <map>

#include "core/config/config.hpp"
#include "core/config/schema.hpp"

namespace hearth::config {
namespace {

using namespace detail;

// "# doc [allowed] (default X)", the line above every key.
std::string comment(const key_def& k) {
  std::string out = "# " + k.doc;
  if (auto a = allowed_text(k); !a.empty()) out += " [" + a + "]";
  out += k.required ? " (required)" : " (default " + format_value(k.def) + ")";
  return out + "\n";
}

void write_keys(std::string& out, const std::string& table, scope sc, const void* obj,
                const std::map<std::string, value>& overrides) {
  for (const auto& k : keys()) {
    if (k.where != sc || k.table() != table) continue;
    auto it = overrides.find(k.path);
    out += comment(k) + k.name() + " = " + format_value(it != overrides.end() ? it->second : k.get(obj)) + "\n";
  }
}

}  // namespace

std::string render(const quickstart_values& v) {
  config c;
  for (const auto& k : keys())
    if (k.where == scope::config) k.set(&c, k.def);
  c.listeners = default_listeners();
  c.hostname = v.hostname;
  if (!v.data_dir.empty()) c.data_dir = v.data_dir;
  if (v.listen) c.listen_addresses = {*v.listen};
  c.ip4 = v.ip4;
  c.ip6 = v.ip6;
  c.dns_servers = v.dns_servers;
  c.database_url = v.database_url;

  // Ports go through overrides, not the uint16 fields, so that an offset pushing a port past
  // 65535 is written as is and `hearth config check` names it instead of it wrapping silently.
  std::map<std::string, value> overrides;
  for (service s : all_services)
    overrides[std::string("listen.") + service_name(s)] =
        static_cast<std::int64_t>(standard_port(s)) + static_cast<std::int64_t>(v.port_offset);

  std::string out =
      "# Hearth configuration.\n"
      "#\n"
      "# Every key is listed with its default; `hearth config check` validates this file and\n"
      "# `hearth config example` prints a fresh copy. Relative paths are relative to this\n"
      "# file's folder.\n";
  for (const auto& t : tables()) {
    out += "\n# " + t.doc + "\n";
    if (!t.array) {
      out += "[" + t.path + "]\n";
      write_keys(out, t.path, scope::config, &c, overrides);
      continue;
    }
    // No block means none; show the shape as comments so the file documents it.
    const scope sc = t.path == "smtp.route"       ? scope::route
                     : t.path == "xmpp.component" ? scope::component
                                                  : scope::certificate;
    if (sc == scope::route || sc == scope::component || v.certificates.empty()) {
      out += "# [[" + t.path + "]]\n";
      for (const auto& k : keys())
        if (k.where == sc) out += comment(k) + "# " + k.name() + " = " + format_value(k.def) + "\n";
      continue;
    }
    for (std::size_t i = 0; i < v.certificates.size(); ++i) {
      out += std::string(i ? "\n" : "") + "[[" + t.path + "]]\n";
      write_keys(out, t.path, scope::certificate, &v.certificates[i], {});
    }
  }
  return out;
}

std::string example() {
  quickstart_values v;
  v.hostname = "mail.example.org";
  v.data_dir = "data";
  v.certificates.push_back(certificate{{"mail.example.org"}, "tls/mail.example.org.crt", "tls/mail.example.org.key"});
  return render(v);
}

}  // namespace hearth::config
