#include "mail/reports/ingest.hpp"

#include <optional>

#include "mail/reports/dmarc_xml.hpp"
#include "mail/reports/tlsrpt_json.hpp"
#include "mail/reports/unpack.hpp"

namespace hearth::mail::reports {

namespace {

result<std::vector<ingested>> store_payloads(store& st, const result<std::vector<payload>>& payloads,
                                             std::int64_t now) {
  if (!payloads) return payloads.error();
  std::vector<ingested> out;
  std::optional<error> first_error;
  for (const auto& p : *payloads) {
    if (p.kind == report_kind::dmarc) {
      auto r = parse_dmarc_report(p.bytes);
      if (!r) {
        if (!first_error) first_error = r.error();
        continue;
      }
      auto added = st.add_dmarc(*r, now);
      if (!added) return added.error();
      out.push_back({"dmarc", r->org, r->report_id, r->domain, r->rows.size(), !*added});
    } else {
      auto r = parse_tls_report(p.bytes);
      if (!r) {
        if (!first_error) first_error = r.error();
        continue;
      }
      auto added = st.add_tls(*r, now);
      if (!added) return added.error();
      std::string domain = r->policies.empty() ? "" : r->policies.front().domain;
      out.push_back({"tls", r->org, r->report_id, domain, r->policies.size(), !*added});
    }
  }
  if (out.empty() && first_error) return *first_error;
  return out;
}

}  // namespace

result<std::vector<ingested>> ingest(store& st, std::string_view message, std::int64_t now) {
  return store_payloads(st, extract_reports(message), now);
}

result<std::vector<ingested>> ingest(store& st, std::string_view head, const body_pieces& rest, std::int64_t now) {
  return store_payloads(st, extract_reports(head, rest), now);
}

}  // namespace hearth::mail::reports
