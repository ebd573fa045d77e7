// TLS-RPT report JSON (RFC 8460 §4.4) to a tls_report. Pure; thread-safe.
//
// Limits: the document at most max_json_bytes, nesting json_max_depth, at most max_policies
// policies and max_failures failure details in all. Errors: "reports.syntax" (not JSON, a
// required field missing: organization-name, report-id, date-range, policies),
// "reports.too_big".
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/util/result.hpp"
#include "mail/reports/report.hpp"

namespace hearth::mail::reports {

inline constexpr std::size_t max_json_bytes = 16u << 20;
inline constexpr std::size_t json_max_depth = 32;
inline constexpr std::size_t max_policies = 1000;
inline constexpr std::size_t max_failures = 20000;

result<tls_report> parse_tls_report(std::string_view json_text);

// RFC 3339 date-time ("2016-04-01T00:00:00Z", fractions and offsets allowed) to seconds since
// the epoch; nullopt when malformed.
std::optional<std::int64_t> parse_rfc3339(std::string_view s);
// Seconds since the epoch to "2016-04-01" (UTC) and to "2016-04-01T00:00:00Z".
std::string day_of(std::int64_t t);
std::string rfc3339(std::int64_t t);
// "2016-04-01" to seconds at midnight UTC; nullopt when malformed.
std::optional<std::int64_t> parse_day(std::string_view s);

}  // namespace hearth::mail::reports
