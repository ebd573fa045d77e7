#include "app/dns_check_run.hpp"
#include "app/dns_tlsa.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "core/crypto/keys.hpp"
#include "core/dns/resolver.hpp"
#include "core/util/strings.hpp"

namespace hearth::app {

namespace asio = boost::asio;

result<dns_check_outcome> run_dns_check(const config::config& cfg, directory::directory& dir,
                                        const dns_check_request& req) {
  std::optional<directory::domain> dom;
  try {
    dom = dir.find_domain(req.domain);
  } catch (const error_exception& e) {
    return e.err();
  }
  if (!dom) return fail("check.domain", req.domain + " is not a domain of this server (hearth domain list)");

  rfc6764::zone_input in;
  in.domain = dom->name;
  in.ip4 = req.ip4.value_or(cfg.ip4);
  in.ip6 = req.ip6.value_or(cfg.ip6);
  std::vector<std::string> tlsa_notes;
  in.tlsa = our_tlsa(cfg, tlsa_notes);
  auto plan = rfc6764::plan_zone(cfg, dir, in);
  if (!plan) return plan.error();
  plan->notes.insert(plan->notes.end(), tlsa_notes.begin(), tlsa_notes.end());

  rfc6764::check_options o;
  o.domain = dom->name;
  o.hostname = util::to_lower(cfg.hostname);
  for (const auto* ip : {&in.ip4, &in.ip6})
    if (!ip->empty()) o.ips.push_back(*ip);
  // Outgoing mail may leave from other addresses (smtp.queue.bind_addresses): their PTR and
  // blocklist standing matter as much.
  for (const auto& ip : plan->outgoing) o.ips.push_back(ip);
  for (const auto& k : dir.dkim_keys(dom->name)) {
    // A key that cannot be read is left to the generic TXT comparison of the plan.
    if (auto pub = crypto::dkim_public_from_private(k.private_pem)) o.dkim_public[k.selector] = *pub;
  }
  o.blocklists_ip = cfg.blocklists_ip;
  o.blocklists_domain = cfg.blocklists_domain;
  o.connect = req.connect;
  o.smtp_port = cfg.smtp_outbound_port;

  dns::options opts;
  opts.servers = cfg.dns_servers;
  opts.dnssec = cfg.dnssec;
  opts.trust_anchor_file = cfg.dns_trust_anchor_file.string();
  if (req.server) opts.servers = {*req.server};

  asio::io_context ioc;
  dns::resolver res(ioc.get_executor(), opts);
  if (!res.init_error().empty()) return fail("dns.resolver", "resolver: " + res.init_error());
  auto fut = asio::co_spawn(ioc, rfc6764::run_checks(res, *plan, o), asio::use_future);
  ioc.run();
  dns_check_outcome out;
  try {
    out.findings = fut.get();
  } catch (const std::exception& e) {
    return fail("check.failed", std::string("dns check failed: ") + e.what());
  }
  out.plan = std::move(*plan);
  return out;
}

}  // namespace hearth::app
