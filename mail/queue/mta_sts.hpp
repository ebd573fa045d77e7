// MTA-STS (RFC 8461) as a sender applies it: the _mta-sts TXT record, the policy document,
// and whether an MX host is allowed by a policy. Pure: no I/O, unit-tested and fuzzed
// (tests/fuzz/fuzz_queue_sts.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::queue {

// RFC 8461 §3.3: "senders SHOULD impose a limit on the size of the response body" (64 KiB is
// what other senders use; a real policy is a few hundred octets).
inline constexpr std::size_t sts_max_policy = 64 * 1024;
inline constexpr std::size_t sts_max_mx = 100;
// RFC 8461 §3.2: max_age is at most 31557600 (about a year).
inline constexpr std::int64_t sts_max_age_limit = 31557600;

// RFC 8461 §3.1: of the TXT strings at _mta-sts.DOMAIN, those starting with "v=STSv1;" count;
// exactly one must remain and be well formed (v=STSv1 first, id of 1..32 letters and digits,
// fields separated by ';' with optional spaces, other fields ignored). Its id, or nullopt
// (the domain has no usable record).
std::optional<std::string> sts_record_id(const std::vector<std::string>& txt);

enum class sts_mode { none, testing, enforce };
std::string_view sts_mode_name(sts_mode m);

struct sts_policy {
  sts_mode mode = sts_mode::none;
  std::vector<std::string> mx;  // patterns, lower case, no trailing dot
  std::int64_t max_age = 0;     // seconds
  std::string id;               // from the TXT record it was fetched for
  std::int64_t fetched = 0;     // unix time of the fetch
  bool expired(std::int64_t now) const { return now >= fetched + max_age; }
};

// RFC 8461 §3.2: "key: value" lines (LF or CRLF) in any order; version (STSv1), mode and
// max_age required, at least one mx unless mode is none; unknown keys
// ignored. nullopt with `why` set when the document is not a valid policy.
std::optional<sts_policy> parse_sts_policy(std::string_view body, std::string& why);

// RFC 8460 §4.4's policy-string for a policy: its fields as "key: value" lines (rebuilt from
// what was parsed, since only that is cached).
std::vector<std::string> sts_policy_lines(const sts_policy& p);

// RFC 8461 §4.1: an MX host matches "mail.example.com" exactly or "*.example.com" by exactly
// one leftmost label; case-insensitive, trailing dots ignored.
bool sts_mx_allowed(const sts_policy& p, std::string_view host);

}  // namespace hearth::mail::queue
