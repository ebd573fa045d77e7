// Per-destination routes ([[smtp.route]]) and the recognition of blocklist-type refusals.
// Pure: no I/O, unit-tested (route_test.cpp) and fuzzed (tests/fuzz/fuzz_queue_route.cpp).
//
// A route is chosen first by the recipient domain (`domains`), then, once the MX look-up is
// done, by the MX host names (`mx`); the first route in file order that matches wins. Its
// `relay` takes every message; its `fallback_relay` only those a destination refused with a
// blocklist-type reply (block_of()), which would otherwise bounce.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::queue {

struct relay_address {
  std::string host;  // a host name or an IP literal (no brackets)
  std::uint16_t port = 25;
};

// "host:port", "1.2.3.4:port" or "[v6]:port". The port is required (1..65535): a smarthost is
// as often on 587 or 2525 as on 25, so guessing would be wrong half the time.
std::optional<relay_address> parse_relay(std::string_view text);

struct route {
  std::vector<std::string> domains;  // recipient-domain patterns
  std::vector<std::string> mx;       // MX-host patterns
  std::optional<relay_address> relay;           // every message of the route goes there
  std::optional<relay_address> fallback_relay;  // only messages refused with a block
  std::string username;              // AUTH over STARTTLS at the relays, "" = no AUTH
  std::string password;
};

// "example.org" matches itself; "*.example.org" matches any name below it (not itself);
// "*" matches every name. Case-insensitive, a trailing dot ignored.
bool name_matches(std::string_view pattern, std::string_view name);

// The first route whose `domains` match the domain, or null.
const route* route_for_domain(const std::vector<route>& routes, std::string_view domain);
// The first route whose `mx` patterns match one of the MX hosts, or null.
const route* route_for_mx(const std::vector<route>& routes, const std::vector<std::string>& hosts);

// What a blocklist-type refusal tells: who lists us and where to ask for delisting.
struct block_info {
  std::string list;    // "microsoft", "spamhaus", "spamcop", "barracuda", "blocklist"
  std::string delist;  // a URL from the reply when it has one, else the list's known form
};

// Classifies a refusal, given as the reply summary ("550 5.7.1 ...") and its enhanced status.
// Microsoft: "S3140" or an enhanced code 5.7.606..5.7.705 (its IP-reputation range); others:
// a 5xx whose text names a known list or a listing ("blocklist", "listed at", "RBL" ...).
// Content refusals ("spam detected") are not blocks: a relay would not change their fate.
std::optional<block_info> block_of(std::string_view reply, std::string_view status);

}  // namespace hearth::mail::queue
