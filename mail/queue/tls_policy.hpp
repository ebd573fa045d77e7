// The TLS policy an outbound SMTP session ran under and how it ended: one per connection to
// an MX host, in attempt_result::policies, in the order tried. What a TLS-RPT report (RFC 8460
// §4.3) counts per policy: the policy type, success or failure, and the failure's result type.
#pragma once
#include <string>

namespace hearth::mail::queue {

struct tls_session_policy {
  enum class kind {
    none,  // opportunistic TLS (RFC 7435): no policy applied
    sts,   // the domain's MTA-STS policy (RFC 8461), enforce or testing
    dane,  // the host's DNSSEC-validated TLSA records (RFC 7672)
  };
  kind policy = kind::none;
  std::string host;   // MX host name
  std::string relay;  // "host[ip]:port" ("" when the host was skipped before connecting)
  bool ok = true;     // the session met the policy (always true for `none`)
  // RFC 8460 §4.3.2 result type when !ok: "starttls-not-supported", "validation-failure",
  // "certificate-not-trusted" (MTA-STS: the certificate is not valid for the host), "tlsa-invalid"
  // (no TLSA record matches the chain), "dnssec-invalid" (the TLSA look-up failed or was bogus).
  std::string result_type;
  std::string reason;  // our sentence, as it appears in the queue and the DSN
};

// "none", "sts", "dane": the `policy=` of the smtp.out.tls_policy log line.
inline const char* policy_name(tls_session_policy::kind k) {
  switch (k) {
    case tls_session_policy::kind::sts: return "sts";
    case tls_session_policy::kind::dane: return "dane";
    case tls_session_policy::kind::none: break;
  }
  return "none";
}

}  // namespace hearth::mail::queue
