// `hearth dns check DOMAIN`: what the world sees in DNS against what `hearth dns zone` prints,
// plus reverse DNS, blocklists and (with --connect) the SMTP banner of each MX host.
#include <cstdio>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "app/dns_check_run.hpp"
#include "core/crypto/keys.hpp"
#include "core/dns/resolver.hpp"
#include "core/util/strings.hpp"
#include "rfc6764/check.hpp"
#include "rfc6764/zone.hpp"

namespace hearth::app {

namespace {

const char* const check_usage =
    "usage: hearth [--config FILE] dns check DOMAIN [--connect] [--server IP:PORT] [--ip4 A] [--ip6 A]\n\n"
    "Asks DNS, through the configured resolver, for every record `hearth dns zone DOMAIN` prints\n"
    "and compares: MX, A/AAAA, SPF (one record, at most 10 DNS lookups), DKIM (the key in DNS\n"
    "against the private key on disk), DMARC, MTA-STS, TLS-RPT, the SRV and TXT records of client\n"
    "autoconfiguration, CNAMEs. Then the PTR of each public address and of each\n"
    "smtp.queue.bind_addresses address (it must name server.hostname,\n"
    "the HELO name, and that name must resolve back to the address), and the configured blocklists\n"
    "(blocklists.ip for each address, blocklists.domain for the domain).\n\n"
    "One line per check: \"OK   what\", \"WARN what: detail \u2014 fix\", \"FAIL what: detail \u2014 fix\",\n"
    "then \"N ok, N warnings, N failures\".\n\n"
    "  --connect       also connect to each MX host on smtp.outbound.port and expect a \"220 \"\n"
    "                  greeting that names the host (10 s timeout)\n"
    "  --server S      ask S (\"ip\", \"ip:port\", \"[v6]:port\") instead of the config's dns.servers\n"
    "  --ip4 A, --ip6 A  the public addresses to check instead of server.ip4 / server.ip6\n\n"
    "exit status: 0 no FAIL (warnings allowed), 1 at least one FAIL, 2 usage or config error\n";

}  // namespace

int cmd_dns_check(const globals& g, const args& a) {
  auto p = parse_args(a, {"--server", "--ip4", "--ip6"}, {"--connect"});
  if (p.help) {
    std::fputs(check_usage, stdout);
    return 0;
  }
  if (!p.error.empty()) return usage_error(p.error, check_usage);
  if (p.positional.size() != 1) return usage_error("dns check needs exactly one DOMAIN", check_usage);
  auto ip4 = p.option("--ip4");
  auto ip6 = p.option("--ip6");
  if (ip4 && !config::is_ip4(*ip4)) return usage_error("--ip4: not an IPv4 address: " + *ip4, check_usage);
  if (ip6 && !config::is_ip6(*ip6)) return usage_error("--ip6: not an IPv6 address: " + *ip6, check_usage);
  if (auto s = p.option("--server"))
    if (auto f = dns::unbound_forwarder(*s); !f) return usage_error("--server: " + f.error().message, check_usage);

  auto cfg = load_config(g);
  if (!cfg) return 2;
  auto dir = open_directory(*cfg);
  if (!dir) return 2;
  dns_check_request req{p.positional[0], ip4, ip6, p.option("--server"), p.has("--connect")};
  auto out = run_dns_check(*cfg, *dir, req);
  if (!out) {
    const auto& code = out.error().code;
    if (code == "check.failed") return fail_with(1, out.error().message);
    if (code.starts_with("zone.")) return fail_with(2, "cannot compute the expected zone: " + out.error().message);
    if (code.starts_with("directory.") || code.starts_with("db.")) return fail_with(2, "directory: " + out.error().message);
    return fail_with(2, out.error().message);
  }
  const auto& findings = out->findings;
  for (const auto& f : findings) std::printf("%s\n", rfc6764::format_finding(f).c_str());
  auto t = rfc6764::count(findings);
  std::printf("%s\n", rfc6764::format_tally(t).c_str());
  return t.failures > 0 ? 1 : 0;
}

}  // namespace hearth::app
