// What a DMARC aggregate report (RFC 7489 appendix C) and a TLS-RPT report (RFC 8460 §4.4)
// say, as Hearth keeps them. Plain data; the parsers fill them, the store keeps them, the
// summary reads them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hearth::mail::reports {

// One <record>: mail from one source IP with one set of results.
struct dmarc_row {
  std::string source_ip;
  std::uint64_t count = 0;
  std::string disposition;  // none | quarantine | reject (what the reporter did)
  std::string dkim;         // policy_evaluated: pass | fail (aligned DKIM)
  std::string spf;          // policy_evaluated: pass | fail (aligned SPF)
  std::string header_from;
  std::string envelope_from;
  std::string dkim_domains;  // auth_results: "d1=pass d2=fail", as raw results, for the summary
  std::string spf_domains;   // auth_results: "d=pass"
};

struct dmarc_report {
  std::string org;        // report_metadata/org_name: who sends us the report
  std::string email;      // report_metadata/email
  std::string report_id;  // report_metadata/report_id (unique per org)
  std::int64_t begin = 0, end = 0;  // date_range, seconds since the epoch (UTC)
  std::string domain;     // policy_published/domain: our domain the report is about
  std::string policy;     // policy_published/p
  std::vector<dmarc_row> rows;
};

// One failure line of a TLS-RPT policy (RFC 8460 §4.3 result types).
struct tls_failure {
  std::string result_type;  // "starttls-not-supported", "certificate-expired", ...
  std::string sending_ip, receiving_mx, receiving_ip;
  std::uint64_t count = 0;
};

struct tls_policy {
  std::string domain;  // policy-domain
  std::string type;    // policy-type: sts | tlsa | no-policy-found
  std::uint64_t success = 0, failure = 0;
  std::vector<tls_failure> failures;
};

struct tls_report {
  std::string org;        // organization-name
  std::string contact;    // contact-info
  std::string report_id;  // report-id
  std::int64_t begin = 0, end = 0;  // date-range (RFC 3339 in the report)
  std::vector<tls_policy> policies;
};

}  // namespace hearth::mail::reports
