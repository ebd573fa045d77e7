// hearth dns zone DOMAIN [--json] [--ip4 A] [--ip6 A]: every record the domain needs
// (rfc6764/zone.hpp), as a BIND master file or as JSON.
#include <cstdio>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "app/dns_tlsa.hpp"
#include "rfc6764/zone.hpp"

namespace hearth::app {
namespace {

const char* usage =
    "usage: hearth [--config FILE] dns zone DOMAIN [--json] [--ip4 ADDRESS] [--ip6 ADDRESS]\n\n"
    "Prints every DNS record DOMAIN needs for what this server offers, each with a comment\n"
    "saying what it is for: MX, the server's A/AAAA, CAA, SPF, DKIM (one per key), DMARC,\n"
    "MTA-STS, TLS-RPT, TLSA for DANE (zone.tlsa), SRV records for mail, calendar, contact and XMPP clients, autoconfig.\n"
    "Ports are the configured listeners'; a disabled listener is published as \"0 0 0 .\"\n"
    "(not offered). What belongs elsewhere (the PTR, records of another zone) is listed last.\n\n"
    "  --json         print JSON: {\"domain\", \"ttl\", \"records\": [{name, type, ttl, value,\n"
    "                 comment, group}], \"notes\"}; TXT values whole, names without final dot\n"
    "  --ip4 ADDRESS  the server's public IPv4 address (default: server.ip4)\n"
    "  --ip6 ADDRESS  the server's public IPv6 address (default: server.ip6)\n\n"
    "The TTL is zone.ttl. SOA and NS are your DNS host's and are not printed.\n\n"
    "exit status: 0 printed, 1 DOMAIN is not a domain of this server (or another failure),\n"
    "             2 usage or config error\n";

}  // namespace

int cmd_dns_zone(const globals& g, const args& a) {
  auto p = parse_args(a, {"--ip4", "--ip6"}, {"--json"});
  if (p.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!p.error.empty() || p.positional.size() != 1)
    return usage_error(p.error.empty() ? "dns zone needs one DOMAIN" : p.error, usage);
  rfc6764::zone_input in;
  in.domain = p.positional[0];
  if (auto v = p.option("--ip4")) {
    if (!config::is_ip4(*v)) return usage_error("--ip4: not an IPv4 address: " + *v, usage);
    in.ip4 = *v;
  }
  if (auto v = p.option("--ip6")) {
    if (!config::is_ip6(*v)) return usage_error("--ip6: not an IPv6 address: " + *v, usage);
    in.ip6 = *v;
  }

  auto cfg = load_config(g);
  if (!cfg) return 2;
  auto dir = open_directory(*cfg);
  if (!dir) return 1;
  std::vector<std::string> tlsa_notes;
  in.tlsa = our_tlsa(*cfg, tlsa_notes);
  auto plan = rfc6764::plan_zone(*cfg, *dir, in);
  if (!plan) return fail_with(1, plan.error().message);
  plan->notes.insert(plan->notes.end(), tlsa_notes.begin(), tlsa_notes.end());
  std::string out = p.has("--json") ? rfc6764::to_json(*plan) : rfc6764::to_bind(*plan, cfg->zone_ttl);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace hearth::app
