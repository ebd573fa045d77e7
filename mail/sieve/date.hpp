// Dates for the "date" and "currentdate" tests (RFC 5260 §4) and vacation. Internal.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::mail::sieve::detail {

struct moment {
  std::int64_t utc = 0;  // seconds since the epoch
  int zone = 0;          // minutes east of UTC the moment is shown in
};

// An RFC 5322 §3.3 date-time (obsolete zone names included). nullopt when unparseable.
std::optional<moment> parse_date(std::string_view s);
// The value of a date-part ("year", "date", "iso8601", ...) of `m` shown in its zone.
std::string date_part(const moment& m, std::string_view part);

}  // namespace hearth::mail::sieve::detail
