#include "mail/reports/tlsrpt_json.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>

#include "core/json/json.hpp"

namespace hearth::mail::reports {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  auto r = std::from_chars(s.data() + at, s.data() + at + n, out);
  return r.ec == std::errc{} && r.ptr == s.data() + at + n;
}

// A report is written by someone else: a member of the wrong type reads as absent.
std::string str(const json::value& j, std::string_view key) {
  const std::string* s = j.find_string(key);
  return s ? *s : std::string();
}

std::uint64_t count_of(const json::value& j, std::string_view key) {
  const json::value* m = j.find(key);
  const double* v = m ? m->as_number() : nullptr;
  return v && *v > 0 && *v < 1e15 ? static_cast<std::uint64_t>(*v) : 0;
}

// Generous for max_policies policies with max_failures failure details in all, and a bound on
// the memory a hostile document can make the reader build.
constexpr json::limits report_limits{.max_bytes = max_json_bytes,
                                     .max_depth = json_max_depth,
                                     .max_items = 1u << 20,
                                     .max_string = max_json_bytes,
                                     .duplicate_keys = true};

}  // namespace

std::optional<std::int64_t> parse_day(std::string_view s) {
  int y, m, d;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 0, 4, y) || !digits(s, 5, 2, m) || !digits(s, 8, 2, d))
    return std::nullopt;
  if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) * 86400;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
  auto day = parse_day(s);
  int hh, mm, ss;
  if (!day || s.size() < 19 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':' ||
      !digits(s, 11, 2, hh) || !digits(s, 14, 2, mm) || !digits(s, 17, 2, ss) || hh > 23 || mm > 59 || ss > 60)
    return std::nullopt;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  }
  std::int64_t offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int oh, om;
    if (!digits(s, i + 1, 2, oh) || !digits(s, i + 4, 2, om)) return std::nullopt;
    offset = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return *day + hh * 3600 + mm * 60 + ss - offset;
}

std::string day_of(std::int64_t t) {
  std::int64_t z = (t >= 0 ? t : t - 86399) / 86400 + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

std::string rfc3339(std::int64_t t) {
  std::int64_t s = ((t % 86400) + 86400) % 86400;
  char buf[16];
  std::snprintf(buf, sizeof buf, "T%02d:%02d:%02dZ", static_cast<int>(s / 3600), static_cast<int>(s / 60 % 60),
                static_cast<int>(s % 60));
  return day_of(t) + buf;
}

result<tls_report> parse_tls_report(std::string_view text) {
  if (text.size() > max_json_bytes) return fail("reports.too_big", "report JSON larger than the limit");
  auto doc = json::parse(text, report_limits);
  if (!doc) {
    if (doc.error().code != "json.syntax") return fail("reports.too_big", doc.error().message);
    return fail("reports.syntax", "not JSON: " + doc.error().message);
  }
  if (!doc->as_object()) return fail("reports.syntax", "a TLS-RPT report is a JSON object");
  tls_report r;
  r.org = str(*doc, "organization-name");
  r.contact = str(*doc, "contact-info");
  r.report_id = str(*doc, "report-id");
  const json::value* range = doc->find("date-range");
  const json::value* policies_value = doc->find("policies");
  const json::array* policies = policies_value ? policies_value->as_array() : nullptr;
  if (r.org.empty() || r.report_id.empty() || !range || !policies)
    return fail("reports.syntax", "organization-name, report-id, date-range or policies missing");
  auto b = parse_rfc3339(str(*range, "start-datetime"));
  auto e = parse_rfc3339(str(*range, "end-datetime"));
  if (!b || !e) return fail("reports.syntax", "date-range is not RFC 3339");
  r.begin = *b;
  r.end = *e;
  if (policies->size() > max_policies) return fail("reports.too_big", "too many policies");
  std::size_t failures = 0;
  for (const auto& p : *policies) {
    const json::value* pol = p.find("policy");
    if (!pol) return fail("reports.syntax", "a policy entry without \"policy\"");
    tls_policy t;
    t.domain = str(*pol, "policy-domain");
    t.type = str(*pol, "policy-type");
    if (t.domain.empty()) return fail("reports.syntax", "a policy without policy-domain");
    for (char& c : t.domain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (const json::value* s = p.find("summary")) {
      t.success = count_of(*s, "total-successful-session-count");
      t.failure = count_of(*s, "total-failure-session-count");
    }
    const json::value* fd = p.find("failure-details");
    if (const json::array* details = fd ? fd->as_array() : nullptr) {
      for (const auto& f : *details) {
        if (++failures > max_failures) return fail("reports.too_big", "too many failure details");
        t.failures.push_back({str(f, "result-type"), str(f, "sending-mta-ip"), str(f, "receiving-mx-hostname"),
                              str(f, "receiving-ip"), count_of(f, "failed-session-count")});
      }
    }
    r.policies.push_back(std::move(t));
  }
  return r;
}

}  // namespace hearth::mail::reports
