// The reports we send (pure; thread-safe): DMARC aggregate reports (RFC 7489 §7.2) from the
// evaluations recorded at SMTP time, TLS-RPT reports (RFC 8460 §4) from the outbound sessions
// recorded by the queue, and the messages that carry them (RFC 7489 §7.2.1.1, RFC 8460 §5.3).
// The caller picks the period (a UTC day), checks each rua address (external destinations:
// RFC 7489 §7.1, report_verification_name), queues the messages and then forgets the period.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/reports/store.hpp"
#include "mail/reports/unpack.hpp"

namespace hearth::mail::reports {

struct reporter {
  std::string org_name;  // report_metadata/org_name, organization-name: our host name
  std::string email;     // the report's contact and the message's From
  std::string hostname;  // the Submitter and the first part of file names
};

struct outgoing_report {
  report_kind kind = report_kind::dmarc;
  std::string policy_domain;
  std::vector<std::string> rua;  // mailto: addresses to send it to
  std::vector<std::string> https;  // TLS-RPT: https: URIs to POST it to (RFC 8460 §5.4)
  std::string report_id;
  std::string filename;  // without the .gz
  std::string document;  // XML (DMARC) or JSON (TLS-RPT)
};

// One report per policy domain whose records ask for reports (rua with a mailto: address),
// covering [begin, end). Records are merged by source IP and identical results.
std::vector<outgoing_report> dmarc_reports(const std::vector<dmarc_evaluation>& evals, std::int64_t begin,
                                           std::int64_t end, const reporter& me);
std::vector<outgoing_report> tls_reports(const std::vector<tls_session>& sessions, std::int64_t begin,
                                         std::int64_t end, const reporter& me);

// The mailto: addresses of a rua= value ("mailto:a@x.test!10m, mailto:b@y.test"); other URI
// schemes are skipped, a size limit suffix removed.
std::vector<std::string> mailto_addresses(std::string_view rua);
// The https: URIs of a TLS-RPT rua= value (RFC 8460 §3), as written; others skipped.
std::vector<std::string> https_uris(std::string_view rua);

// RFC 7489 §7.1: "<policy-domain>._report._dmarc.<destination-domain>".
std::string report_verification_name(std::string_view policy_domain, std::string_view destination_domain);
// §7.1: the destination agrees when one TXT record there starts with "v=DMARC1".
bool verification_agrees(const std::vector<std::string>& txts);

// RFC 8460 §3: the rua= value of the one TXT record at _smtp._tls.DOMAIN that starts with
// "v=TLSRPTv1" ("" when there is none or more than one).
std::string tlsrpt_rua(const std::vector<std::string>& txts);

// The message carrying `r` to `to`: gzip attachment, Subject per the RFCs, TLS-RPT's own
// header fields and multipart/report. `date` is an RFC 5322 date, `message_id` without <>.
// Errors: "reports.compression".
result<std::string> report_message(const outgoing_report& r, const reporter& me, std::string_view to,
                                   std::string_view date, std::string_view message_id);

}  // namespace hearth::mail::reports
