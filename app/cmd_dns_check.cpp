// `hearth dns check DOMAIN`: what the world sees in DNS against what `hearth dns zone` prints,
// plus reverse DNS, blocklists and (with --connect) the SMTP banner of each MX host.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdio>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "core/crypto/keys.hpp"
#include "core/dns/resolver.hpp"
#include "core/util/strings.hpp"
#include "rfc6764/check.hpp"
#include "rfc6764/zone.hpp"

namespace hearth::app {

namespace {

namespace asio = boost::asio;

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
  std::optional<directory::domain> dom;
  try {
    dom = dir->find_domain(p.positional[0]);
  } catch (const error_exception& e) {
    return fail_with(2, "directory: " + std::string(e.what()));
  }
  if (!dom) return fail_with(2, p.positional[0] + " is not a domain of this server (hearth domain list)");

  rfc6764::zone_input in;
  in.domain = dom->name;
  in.ip4 = ip4.value_or(cfg->ip4);
  in.ip6 = ip6.value_or(cfg->ip6);
  auto plan = rfc6764::plan_zone(*cfg, *dir, in);
  if (!plan) return fail_with(2, "cannot compute the expected zone: " + plan.error().message);

  rfc6764::check_options o;
  o.domain = dom->name;
  o.hostname = util::to_lower(cfg->hostname);
  for (const auto* ip : {&in.ip4, &in.ip6})
    if (!ip->empty()) o.ips.push_back(*ip);
  // Outgoing mail may leave from other addresses (smtp.queue.bind_addresses): their PTR and
  // blocklist standing matter as much.
  for (const auto& ip : plan->outgoing) o.ips.push_back(ip);
  for (const auto& k : dir->dkim_keys(dom->name)) {
    // A key that cannot be read is left to the generic TXT comparison of the plan.
    if (auto pub = crypto::dkim_public_from_private(k.private_pem)) o.dkim_public[k.selector] = *pub;
  }
  o.blocklists_ip = cfg->blocklists_ip;
  o.blocklists_domain = cfg->blocklists_domain;
  o.connect = p.has("--connect");
  o.smtp_port = cfg->smtp_outbound_port;

  dns::options opts;
  opts.servers = cfg->dns_servers;
  opts.dnssec = cfg->dnssec;
  if (auto s = p.option("--server")) opts.servers = {*s};

  asio::io_context ioc;
  dns::resolver res(ioc.get_executor(), opts);
  if (!res.init_error().empty()) return fail_with(2, "resolver: " + res.init_error());
  auto fut = asio::co_spawn(ioc, rfc6764::run_checks(res, *plan, o), asio::use_future);
  ioc.run();
  std::vector<rfc6764::finding> findings;
  try {
    findings = fut.get();
  } catch (const std::exception& e) {
    return fail_with(1, std::string("dns check failed: ") + e.what());
  }
  for (const auto& f : findings) std::printf("%s\n", rfc6764::format_finding(f).c_str());
  auto t = rfc6764::count(findings);
  std::printf("%s\n", rfc6764::format_tally(t).c_str());
  return t.failures > 0 ? 1 : 0;
}

}  // namespace hearth::app
