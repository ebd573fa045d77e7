#include "mail/sieve/date.hpp"

#include <array>
#include <cctype>
#include <cstdio>

namespace hearth::mail::sieve::detail {
namespace {
// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's public-domain algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp + (mp < 10 ? 3 : -9);
  y += m <= 2;
}

constexpr std::array<const char*, 12> months = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<const char*, 7> wdays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> mnames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct cursor {
  std::string_view s;
  std::size_t i = 0;
  void skip() {
    while (i < s.size()) {
      if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') { ++i; continue; }
      if (s[i] == '(') {  // comment, possibly nested
        int depth = 0;
        while (i < s.size()) {
          if (s[i] == '(') ++depth;
          else if (s[i] == ')' && --depth == 0) { ++i; break; }
          ++i;
        }
        continue;
      }
      break;
    }
  }
  bool number(int& v, std::size_t min, std::size_t max) {
    skip();
    std::size_t n = 0;
    v = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && n < max) {
      v = v * 10 + (s[i++] - '0');
      ++n;
    }
    return n >= min;
  }
  std::string word() {
    skip();
    std::string w;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i])))
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(s[i++])));
    return w;
  }
  bool lit(char c) {
    skip();
    if (i < s.size() && s[i] == c) { ++i; return true; }
    return false;
  }
};
}  // namespace

std::optional<moment> parse_date(std::string_view s) {
  cursor c{s};
  c.skip();
  std::size_t save = c.i;
  std::string w = c.word();
  if (!w.empty()) {
    if (!c.lit(',')) c.i = save;
  } else {
    c.i = save;
  }
  int day, year, hh, mm, ss = 0;
  if (!c.number(day, 1, 2)) return std::nullopt;
  std::string mon = c.word();
  int month = -1;
  for (std::size_t k = 0; k < 12; ++k)
    if (mon == months[k]) month = static_cast<int>(k) + 1;
  if (month < 0) return std::nullopt;
  std::size_t ybeg = c.i;
  if (!c.number(year, 2, 4)) return std::nullopt;
  c.skip();
  // RFC 5322 §4.3: two-digit years.
  if (c.i - ybeg <= 3 && year < 1000) year += year < 50 ? 2000 : 1900;
  if (!c.number(hh, 1, 2) || !c.lit(':') || !c.number(mm, 2, 2)) return std::nullopt;
  if (c.lit(':') && !c.number(ss, 2, 2)) return std::nullopt;
  if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  c.skip();
  int zone = 0;
  if (c.i < s.size() && (s[c.i] == '+' || s[c.i] == '-')) {
    bool neg = s[c.i] == '-';
    ++c.i;
    int z;
    if (!c.number(z, 4, 4)) return std::nullopt;
    zone = (z / 100) * 60 + z % 100;
    if (neg) zone = -zone;
  } else {
    std::string zn = c.word();
    if (zn == "ut" || zn == "gmt" || zn == "z" || zn.empty()) zone = 0;
    else if (zn == "edt") zone = -4 * 60;
    else if (zn == "est" || zn == "cdt") zone = -5 * 60;
    else if (zn == "cst" || zn == "mdt") zone = -6 * 60;
    else if (zn == "mst" || zn == "pdt") zone = -7 * 60;
    else if (zn == "pst") zone = -8 * 60;
    else zone = 0;  // RFC 5322 §4.3: other obsolete zones are treated as -0000
  }
  std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  std::int64_t local = days * 86400 + hh * 3600 + mm * 60 + (ss == 60 ? 59 : ss);
  return moment{local - zone * 60, zone};
}

std::string date_part(const moment& m, std::string_view part) {
  std::int64_t local = m.utc + m.zone * 60;
  std::int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  std::int64_t secs = local - days * 86400;
  std::int64_t y;
  unsigned mo, d;
  civil_from_days(days, y, mo, d);
  int hh = static_cast<int>(secs / 3600), mi = static_cast<int>(secs / 60 % 60), ss = static_cast<int>(secs % 60);
  int az = m.zone < 0 ? -m.zone : m.zone;
  char zone[16];
  std::snprintf(zone, sizeof zone, "%c%02d%02d", m.zone < 0 ? '-' : '+', az / 60, az % 60);
  char buf[64];
  if (part == "year") std::snprintf(buf, sizeof buf, "%04lld", static_cast<long long>(y));
  else if (part == "month") std::snprintf(buf, sizeof buf, "%02u", mo);
  else if (part == "day") std::snprintf(buf, sizeof buf, "%02u", d);
  else if (part == "date") std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), mo, d);
  else if (part == "julian") std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(days + 40587));  // MJD
  else if (part == "hour") std::snprintf(buf, sizeof buf, "%02d", hh);
  else if (part == "minute") std::snprintf(buf, sizeof buf, "%02d", mi);
  else if (part == "second") std::snprintf(buf, sizeof buf, "%02d", ss);
  else if (part == "time") std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", hh, mi, ss);
  else if (part == "iso8601")
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d%c%02d:%02d", static_cast<long long>(y), mo, d, hh,
                  mi, ss, m.zone < 0 ? '-' : '+', az / 60, az % 60);
  else if (part == "std11")
    std::snprintf(buf, sizeof buf, "%s, %u %s %04lld %02d:%02d:%02d %s", wdays[((days % 7) + 11) % 7], d,
                  mnames[mo - 1], static_cast<long long>(y), hh, mi, ss, zone);
  else if (part == "zone") return zone;
  else if (part == "weekday") std::snprintf(buf, sizeof buf, "%d", static_cast<int>(((days % 7) + 11) % 7));
  else return {};
  return buf;
}

}  // namespace hearth::mail::sieve::detail
