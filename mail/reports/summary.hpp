// What `hearth reports dmarc|tls` prints: the stored rows grouped per domain, per day, per
// sending IP (DMARC) or per policy domain and day (TLS-RPT), then the failures with what they
// usually mean. Pure; thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "mail/reports/store.hpp"

namespace hearth::mail::reports {

struct dmarc_group {
  std::string domain, day, source_ip;
  std::uint64_t messages = 0, dkim_pass = 0, spf_pass = 0, dmarc_fail = 0;
  std::vector<std::string> reporters;  // org names, sorted, unique
  std::vector<std::string> dispositions;
};

// Groups rows by (domain, day of the report's begin, source IP), sorted by those keys.
std::vector<dmarc_group> group_dmarc(const std::vector<stored_dmarc_row>& rows);
// One sending IP over the whole period, with what a person should make of it.
struct dmarc_source {
  std::string domain, source_ip;
  std::uint64_t messages = 0, dkim_pass = 0, spf_pass = 0, dmarc_fail = 0;
  // "ok": DKIM passes for every message; "forgotten": DKIM fails but SPF passes (a service
  // sending for the domain without its DKIM key); "spoofing": fails both and never passes
  // SPF (not authorised, or a service nobody told us about).
  std::string verdict;
};

// Sums the groups per (domain, source IP), sorted by those keys.
std::vector<dmarc_source> dmarc_sources(const std::vector<dmarc_group>& groups);
// The table and the failure notes; "no DMARC reports" when empty.
std::string format_dmarc(const std::vector<stored_dmarc_row>& rows);

struct tls_group {
  std::string domain, day;
  std::uint64_t success = 0, failure = 0;
  std::vector<std::string> reporters;
  std::vector<tls_failure> failures;  // merged by (result type, mx, receiving IP)
};

std::vector<tls_group> group_tls(const std::vector<stored_tls_policy>& policies);
std::string format_tls(const std::vector<stored_tls_policy>& policies);

}  // namespace hearth::mail::reports
