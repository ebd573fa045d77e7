// hearth dkim generate|list: the DKIM keys of a domain (RFC 6376, RFC 8463).
#include <cstdio>
#include <ctime>
#include <utility>
#include <vector>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "core/crypto/keys.hpp"
#include "core/util/strings.hpp"
#include "rfc6764/zone.hpp"

namespace hearth::app {
namespace {

const char* usage =
    "usage: hearth [--config FILE] dkim COMMAND DOMAIN [OPTIONS]\n\n"
    "commands:\n"
    "  generate DOMAIN [--selector S] [--algorithm rsa|ed25519]\n"
    "        make new keys and store them. Without --algorithm: an RSA-2048 key under S and an\n"
    "        Ed25519 key under S-ed25519 (RFC 8463), S being --selector or dkim.selector.\n"
    "        With --algorithm ed25519 and no --selector, the selector is dkim.selector-ed25519.\n"
    "        An existing selector is refused: keys are never replaced in place, since receivers\n"
    "        still verify mail signed with the old key; publish the new record first.\n"
    "  list DOMAIN\n"
    "        one line per key: selector, algorithm, creation time (UTC); under it the TXT\n"
    "        record to publish, in zone-file form\n\n"
    "`hearth dns zone DOMAIN` prints these records together with every other one the domain needs.\n"
    "exit status: 0 done, 1 failure (unknown domain, existing selector), 2 usage or config error\n";

std::string utc_time(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return "-";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The zone-file line of one key; empty (after printing why) if the key cannot be read.
std::string record_line(const directory::dkim_key& k) {
  auto v = rfc6764::dkim_txt_value(k);
  if (!v) {
    std::fprintf(stderr, "hearth: DKIM selector %s: %s\n", k.selector.c_str(), v.error().message.c_str());
    return {};
  }
  // RFC 6376 §3.6.2.1: SELECTOR._domainkey.DOMAIN.
  return k.selector + "._domainkey." + k.domain + ". IN TXT " + rfc6764::quote_txt_rdata(*v);
}

int dkim_list(directory::directory& dir, const std::string& domain) {
  auto keys = dir.dkim_keys(domain);
  if (keys.empty()) std::printf("no DKIM keys for %s: `hearth dkim generate %s` makes them\n", domain.c_str(), domain.c_str());
  int rc = 0;
  for (const auto& k : keys) {
    std::printf("%s %s %s\n", k.selector.c_str(), k.algorithm.c_str(), utc_time(k.created).c_str());
    std::string line = record_line(k);
    if (line.empty()) rc = 1;
    else std::printf("  %s\n", line.c_str());
  }
  return rc;
}

int dkim_generate(directory::directory& dir, const config::config& cfg, const std::string& domain,
                  const parsed_args& p) {
  auto algorithm = p.option("--algorithm");
  if (algorithm && *algorithm != "rsa" && *algorithm != "ed25519")
    return usage_error("--algorithm is rsa or ed25519, not " + *algorithm, usage);
  auto given = p.option("--selector");
  std::string sel = given ? *given : cfg.dkim_selector;
  std::vector<std::pair<std::string, std::string>> wanted;  // selector, algorithm
  if (!algorithm || *algorithm == "rsa") wanted.emplace_back(sel, "rsa-sha256");
  if (!algorithm) wanted.emplace_back(sel + "-ed25519", "ed25519-sha256");
  if (algorithm && *algorithm == "ed25519") wanted.emplace_back(given ? sel : sel + "-ed25519", "ed25519-sha256");
  // A DNS label holds 63 octets; checked up front so that no half of a pair is stored.
  for (const auto& [s, alg] : wanted)
    if (s.size() > 63) return usage_error("selector too long: " + s.substr(0, 80), usage);
  for (const auto& k : dir.dkim_keys(domain))
    for (const auto& [s, alg] : wanted)
      if (util::iequals(k.selector, s))
        return fail_with(1, "DKIM selector " + k.selector + " exists for " + domain +
                                ": choose a new one with --selector (receivers still verify mail signed with the old key)");

  std::vector<directory::dkim_key> added;
  for (const auto& [s, alg] : wanted) {
    auto kp = alg == "rsa-sha256" ? crypto::generate_rsa(2048) : crypto::generate_ed25519();
    if (!kp) return fail_with(1, "cannot generate a DKIM key: " + kp.error().message);
    auto k = dir.add_dkim_key(domain, s, alg, kp->private_pem);
    if (!k) return fail_with(k.error().code == "directory.invalid" ? 2 : 1, k.error().message);
    added.push_back(*k);
  }
  for (const auto& k : added) {
    std::printf("added DKIM key %s (%s) for %s; publish:\n", k.selector.c_str(), k.algorithm.c_str(), domain.c_str());
    std::string line = record_line(k);
    if (!line.empty()) std::printf("  %s\n", line.c_str());
  }
  return 0;
}

}  // namespace

int cmd_dkim(const globals& g, const args& a) {
  auto p = parse_args(a, {"--selector", "--algorithm"});
  if (p.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!p.error.empty() || p.positional.empty()) return usage_error(p.error.empty() ? "missing command" : p.error, usage);
  const std::string& sub = p.positional[0];
  if (sub != "generate" && sub != "list") return usage_error("unknown dkim command '" + sub + "'", usage);
  if (p.positional.size() != 2) return usage_error("dkim " + sub + " needs one DOMAIN", usage);
  if (sub == "list" && (p.option("--selector") || p.option("--algorithm")))
    return usage_error("dkim list takes no options", usage);

  auto cfg = load_config(g);
  if (!cfg) return 2;
  auto dir = open_directory(*cfg);
  if (!dir) return 1;
  auto dom = dir->find_domain(p.positional[1]);
  if (!dom) return fail_with(1, "not a domain of this server: " + p.positional[1]);
  if (sub == "list") return dkim_list(*dir, dom->name);
  return dkim_generate(*dir, *cfg, dom->name, p);
}

}  // namespace hearth::app
