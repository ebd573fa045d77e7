// The whole of `hearth dns check` short of printing: the zone plan of a local domain and the
// findings of the live check. Shared by the command and the web console's DNS page, so that
// the two cannot disagree.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/util/result.hpp"
#include "directory/directory.hpp"
#include "rfc6764/check.hpp"
#include "rfc6764/zone.hpp"

namespace hearth::app {

struct dns_check_request {
  std::string domain;                       // Unicode or ACE
  std::optional<std::string> ip4, ip6;      // instead of server.ip4 / server.ip6
  std::optional<std::string> server;        // instead of dns.servers
  bool connect = false;                     // read each MX host's banner
};

struct dns_check_outcome {
  rfc6764::zone_plan plan;
  std::vector<rfc6764::finding> findings;
};

// Blocks while the questions are asked (its own io_context and resolver). Errors:
// "check.domain" (not a local domain), "zone.*" (plan_zone), "dns.resolver" (the resolver
// cannot start), "check.failed" (the check itself threw), "directory.*".
result<dns_check_outcome> run_dns_check(const config::config& cfg, directory::directory& dir,
                                        const dns_check_request& req);

}  // namespace hearth::app
