// hearth quickstart [--dev] EMAIL --dir DIR [--hostname H] [--port-offset N] [--listen ADDR]
//                   [--ip4 A] [--ip6 A] [--dns-server IP:PORT]... [--password-stdin]
//                   [--database-url URL]
// Creates, in one go, what a new instance needs: the domain of EMAIL, the account EMAIL with
// a password, postmaster@/abuse@ aliases, DKIM keys, a commented config and (with --dev) a
// private CA with a certificate for the host name. Prints the password and client settings.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "app/common.hpp"
#include "auth/password.hpp"
#include "core/crypto/keys.hpp"
#include "directory/address.hpp"

namespace hearth::app {
namespace {

const char* usage =
    "usage: hearth quickstart [--dev] EMAIL --dir DIR [options]\n\n"
    "Creates a new Hearth instance in DIR: DIR/hearth.toml, data in DIR/data, the domain of\n"
    "EMAIL, the account EMAIL (its password is printed), postmaster@ and abuse@ aliases, DKIM\n"
    "keys, and with --dev a self-made certificate authority and certificate.\n\n"
    "options:\n"
    "  --dev               development instance: self-signed TLS (trust DIR/data/tls/ca.crt)\n"
    "  --hostname H        this server's public name (default mail.DOMAIN)\n"
    "  --port-offset N     add N to every standard port (25 -> 25+N, 443 -> 443+N, ...)\n"
    "  --listen ADDR       listen on ADDR only (default all addresses)\n"
    "  --ip4 A, --ip6 A    the public addresses to publish in DNS\n"
    "  --dns-server S      resolver to use, IP:PORT (repeatable; default the system's)\n"
    "  --password-stdin    read the account's password from standard input\n"
    "  --database-url URL  keep the stores in this PostgreSQL database ([database] url;\n"
    "                      default: SQLite files in DIR/data)\n";

bool write_file(const std::filesystem::path& p, const std::string& text, mode_t mode) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return false;
  return chmod(p.c_str(), mode) == 0;
}

}  // namespace

int cmd_quickstart(const globals& g, const args& a) {
  auto p = parse_args(a, {"--dir", "--hostname", "--port-offset", "--listen", "--ip4", "--ip6", "--dns-server", "--database-url"},
                      {"--dev", "--password-stdin"});
  // --dns-server may repeat: collect every occurrence.
  std::vector<std::string> dns_servers;
  for (size_t i = 0; i + 1 < a.size(); ++i)
    if (a[i] == "--dns-server") dns_servers.push_back(a[i + 1]);
  for (const auto& s : a)
    if (s.rfind("--dns-server=", 0) == 0) dns_servers.push_back(s.substr(13));
  if (p.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!p.error.empty()) return usage_error(p.error, usage);
  if (p.positional.size() != 1 || !p.option("--dir")) return usage_error("quickstart needs EMAIL and --dir DIR", usage);

  auto email = directory::normalize_address(p.positional[0]);
  if (!email) return fail_with(2, "not an email address: " + p.positional[0]);
  std::string domain = email->substr(email->find('@') + 1);
  bool dev = p.has("--dev");

  config::quickstart_values v;
  v.hostname = p.option("--hostname").value_or("mail." + domain);
  if (auto h = directory::normalize_domain(v.hostname)) v.hostname = *h;
  else return fail_with(2, "not a host name: " + v.hostname);
  if (auto off = p.option("--port-offset")) {
    try {
      size_t used = 0;
      long n = std::stol(*off, &used);
      if (used != off->size() || n < 0 || n > 60000) throw std::out_of_range("offset");
      v.port_offset = static_cast<unsigned>(n);
    } catch (const std::exception&) {
      return fail_with(2, "--port-offset takes a number from 0 to 60000");
    }
  }
  if (auto l = p.option("--listen")) v.listen = *l;
  v.ip4 = p.option("--ip4").value_or("");
  v.ip6 = p.option("--ip6").value_or("");
  v.database_url = p.option("--database-url").value_or("");
  v.dns_servers = dns_servers;
  v.data_dir = "data";

  std::filesystem::path dir = std::filesystem::absolute(*p.option("--dir"));
  std::filesystem::path config_file = dir / "hearth.toml";
  std::error_code ec;
  if (std::filesystem::exists(config_file, ec))
    return fail_with(1, config_file.string() + " exists already; quickstart does not overwrite an instance");
  std::filesystem::path data = dir / "data";
  std::filesystem::create_directories(data / "tls", ec);
  if (ec) return fail_with(1, "cannot create " + (data / "tls").string() + ": " + ec.message());
  chmod(data.c_str(), 0700);

  std::string cert_path = "data/tls/" + v.hostname + ".crt";
  std::string key_path = "data/tls/" + v.hostname + ".key";
  if (dev) {
    auto ca = crypto::make_dev_ca("Hearth development CA for " + domain, 3650);
    if (!ca) return fail_with(1, ca.error().message);
    // The names clients check: the host, and the domain itself (XMPP checks the JID's domain,
    // RFC 6120 §13.7.2.1), plus the service names later issues serve over HTTPS.
    std::vector<std::string> names{v.hostname};
    for (const char* prefix : {"", "autoconfig.", "autodiscover.", "mta-sts.", "ua-auto-config.", "conference.", "upload."}) {
      std::string n = prefix + domain;
      if (n != v.hostname) names.push_back(n);
    }
    // A development instance is reached by address too: localhost and the listen address.
    names.push_back("localhost");
    if (v.listen && *v.listen != "0.0.0.0" && *v.listen != "::") names.push_back(*v.listen);
    auto leaf = crypto::make_server_certificate(*ca, names, 825);
    if (!leaf) return fail_with(1, leaf.error().message);
    if (!write_file(data / "tls" / "ca.crt", ca->cert_pem, 0644) ||
        !write_file(data / "tls" / "ca.key", ca->key_pem, 0600) ||
        !write_file(dir / cert_path, leaf->cert_pem + ca->cert_pem, 0644) ||
        !write_file(dir / key_path, leaf->key_pem, 0600))
      return fail_with(1, "cannot write the certificates under " + (data / "tls").string());
  }
  v.certificates.push_back(config::certificate{{v.hostname, domain}, cert_path, key_path});
  // A bad --database-url is refused before the file exists, so that the command can be rerun.
  const std::string text = config::render(v);
  if (!v.database_url.empty()) {
    if (auto checked = config::parse(text, config_file); !checked) {
      std::fprintf(stderr, "%s\n", checked.error().message.c_str());
      return 2;
    }
  }
  if (!write_file(config_file, text, 0640))
    return fail_with(1, "cannot write " + config_file.string());

  globals local = g;
  local.config_path = config_file.string();
  local.config_given = true;
  auto cfg = load_config(local);
  if (!cfg) return 1;
  auto d = open_directory(*cfg);
  if (!d) {
    // A database that cannot be reached (wrong URL, server down): remove the config again so
    // that quickstart can be rerun once it is fixed.
    std::filesystem::remove(config_file, ec);
    return 1;
  }

  bool generated = false;
  auto password = obtain_password(p, generated);
  if (!password) return 1;

  if (!d->find_domain(domain)) {
    if (auto r = d->add_domain(domain); !r) return fail_with(1, r.error().message);
  }
  auto account = d->add_account(*email, auth::derive_credentials(*password));
  if (!account) return fail_with(1, account.error().message);
  if (!ensure_dkim_keys(*d, domain, cfg->dkim_selector)) return 1;

  auto port = [&](config::service s) { return cfg->listen(s).port; };
  using config::service;
  std::printf("Hearth is set up in %s\n\n", dir.c_str());
  std::printf("  account:   %s\n", email->c_str());
  if (generated) std::printf("  password:  %s\n", password->c_str());
  else std::printf("  password:  (the one you gave)\n");
  std::printf("  config:    %s\n", config_file.c_str());
  std::printf("  data:      %s\n", data.c_str());
  if (on_postgres(*cfg)) std::printf("  database:  %s\n", database_name(*cfg).c_str());
  if (dev)
    std::printf("  TLS:       development certificate; make clients trust %s\n",
                (data / "tls" / "ca.crt").c_str());
  else
    std::printf("  TLS:       put the certificate and key for %s at %s and %s\n", v.hostname.c_str(),
                (dir / cert_path).c_str(), (dir / key_path).c_str());
  std::printf("\nClient settings (server %s, user name %s, the password above):\n", v.hostname.c_str(),
              email->c_str());
  std::printf("  IMAP (Thunderbird, K-9):  port %u TLS, or %u STARTTLS\n", port(service::imaps), port(service::imap));
  std::printf("  SMTP (sending):           port %u TLS, or %u STARTTLS\n", port(service::submissions),
              port(service::submission));
  std::printf("  CalDAV/CardDAV (DAVx5):   https://%s:%u/ (or log in with the email address)\n", v.hostname.c_str(),
              port(service::https));
  std::printf("  XMPP (Conversations):     JID %s, port %u STARTTLS or %u direct TLS\n", email->c_str(),
              port(service::xmpp_client), port(service::xmpps_client));
  std::printf("\nNext steps:\n");
  std::printf("  1. start it:  hearth --config %s serve\n", config_file.c_str());
  std::printf("  2. publish the DKIM keys (with MX, SPF and DMARC records) in the zone of %s:\n", domain.c_str());
  for (const auto& r : dkim_records(*d, domain)) std::printf("     %s\n", r.c_str());
  std::printf("  3. more accounts:  hearth --config %s user add NAME@%s\n", config_file.c_str(), domain.c_str());
  return 0;
}

}  // namespace hearth::app
