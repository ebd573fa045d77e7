// DMARC aggregate report XML (RFC 7489 §7.2.1.1 and appendix C) to a dmarc_report. Pure;
// thread-safe.
//
// Elements are matched by local name, so the draft's namespace (dmarc-2.0) or any prefix reads
// the same. Missing optional parts stay empty; a report without report_metadata/org_name,
// report_id, date_range or policy_published/domain is refused.
//
// Limits: the document at most max_xml_bytes, nesting at most max_xml_depth, at most
// max_records <record>s. Errors: "reports.syntax" (not XML, not a feedback document, a
// required element missing, a count that is not a number), "reports.too_big".
#pragma once
#include <cstddef>
#include <string_view>

#include "core/util/result.hpp"
#include "mail/reports/report.hpp"

namespace hearth::mail::reports {

inline constexpr std::size_t max_xml_bytes = 16u << 20;
inline constexpr std::size_t max_xml_depth = 16;
inline constexpr std::size_t max_records = 20000;

result<dmarc_report> parse_dmarc_report(std::string_view xml);

}  // namespace hearth::mail::reports
