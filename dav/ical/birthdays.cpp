// Birthday and anniversary events from a vCard (the read-only "Birthdays" calendar).
//
// Each event is a yearly all-day VEVENT, transparent so it never shows as busy. Its text is a
// pure function of the card, so regenerating it for an unchanged card gives the same bytes
// and the calendar's sync token does not move.
#include <cstdio>

#include "dav/ical/detail.hpp"

namespace hearth::dav::ical {
namespace {

struct date {
  int year = 0;  // 0: unknown (vCard 4.0 --MMDD, or Apple's 1604 with X-APPLE-OMIT-YEAR)
  int month = 0, day = 0;
};

bool digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}
int num(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// vCard 3.0 "1985-04-12" (maybe with a time), 4.0 "19850412", "--0412", "--04-12".
std::optional<date> parse_date(std::string_view v, bool omit_year) {
  if (auto t = v.find('T'); t != std::string_view::npos) v = v.substr(0, t);
  date d;
  if (v.starts_with("--")) {
    v.remove_prefix(2);
    std::string s(v);
    if (s.size() == 5 && s[2] == '-') s.erase(2, 1);
    if (s.size() != 4 || !digits(s)) return std::nullopt;
    d.month = num(s.substr(0, 2));
    d.day = num(s.substr(2, 2));
  } else {
    std::string s(v);
    if (s.size() == 10 && s[4] == '-' && s[7] == '-') s = s.substr(0, 4) + s.substr(5, 2) + s.substr(8, 2);
    if (s.size() != 8 || !digits(s)) return std::nullopt;
    d.year = omit_year ? 0 : num(s.substr(0, 4));
    d.month = num(s.substr(4, 2));
    d.day = num(s.substr(6, 2));
  }
  static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > days[d.month - 1]) return std::nullopt;
  return d;
}

// Unfolded content lines of the card; the value of the first `name` line and its parameters.
struct field {
  std::string params;  // upper case, for X-APPLE-OMIT-YEAR and VALUE=text
  std::string value;
};
std::optional<field> find(std::string_view card, std::string_view name) {
  std::string unfolded;
  for (std::size_t i = 0; i < card.size(); ++i) {
    if (card[i] == '\r' && i + 1 < card.size() && card[i + 1] == '\n' && i + 2 < card.size() &&
        (card[i + 2] == ' ' || card[i + 2] == '\t')) {
      i += 2;
      continue;
    }
    unfolded += card[i];
  }
  std::size_t pos = 0;
  while (pos < unfolded.size()) {
    auto e = unfolded.find('\n', pos);
    std::string l = unfolded.substr(pos, e == std::string::npos ? std::string::npos : e - pos);
    pos = e == std::string::npos ? unfolded.size() : e + 1;
    if (!l.empty() && l.back() == '\r') l.pop_back();
    auto colon = l.find(':');
    if (colon == std::string::npos) continue;
    std::string head = l.substr(0, colon);
    for (auto& c : head) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (auto dot = head.find('.'); dot != std::string::npos && dot < head.find(';')) head.erase(0, dot + 1);
    auto semi = head.find(';');
    if (head.substr(0, semi) != name) continue;
    return field{semi == std::string::npos ? "" : head.substr(semi), l.substr(colon + 1)};
  }
  return std::nullopt;
}

// RFC 6350 §3.4 text unescaping, then RFC 5545 §3.3.11 escaping.
std::string ical_text(std::string_view v) {
  std::string plain;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      char n = v[++i];
      plain += (n == 'n' || n == 'N') ? '\n' : n;
    } else {
      plain += v[i];
    }
  }
  std::string out;
  for (char c : plain) {
    if (c == '\\' || c == ';' || c == ',') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;  // RFC 5545 §3.3.11: no CTLs
  }
  return out;
}

}  // namespace

std::vector<birthday_event> birthday_events(std::string_view vcard) {
  std::vector<birthday_event> out;
  auto info = inspect_vcard(vcard);
  if (!info) return out;
  auto fn = find(vcard, "FN");
  std::string name = fn ? ical_text(fn->value) : std::string("?");
  struct which {
    const char* prop;
    const char* alt;  // the vCard 3.0 spelling of ANNIVERSARY
    const char* suffix;
    const char* label;
  };
  for (const which& w : {which{"BDAY", nullptr, "bday", "Birthday"}, which{"ANNIVERSARY", "X-ANNIVERSARY", "anniv", "Anniversary"}}) {
    auto f = find(vcard, w.prop);
    if (!f && w.alt) f = find(vcard, w.alt);
    if (!f || f->params.find("VALUE=TEXT") != std::string::npos) continue;
    auto d = parse_date(f->value, f->params.find("X-APPLE-OMIT-YEAR") != std::string::npos);
    if (!d) continue;
    // A year-less date is placed in 2000, a leap year, so that 29 February exists.
    const int year = d->year ? d->year : 2000;
    char start[16], end[16];
    std::snprintf(start, sizeof start, "%04d%02d%02d", year, d->month, d->day);
    // DTEND is the next day; only the last day of a month rolls over.
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int last = d->month == 2 ? (leap ? 29 : 28) : days[d->month - 1];
    int em = d->month, ed = d->day + 1, ey = year;
    if (ed > last) ed = 1, ++em;
    if (em > 12) em = 1, ++ey;
    std::snprintf(end, sizeof end, "%04d%02d%02d", ey, em, ed);
    // RFC 5545 §3.3.10: a yearly rule on 29 February would skip three years in four; the last
    // day of February is what calendars show instead.
    std::string rrule = (d->month == 2 && d->day == 29) ? "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1" : "FREQ=YEARLY";
    std::string ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hearth//Birthdays//EN\r\nBEGIN:VEVENT\r\n";
    std::string uid;
    for (char c : info->uid)
      if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) uid += c;
    ics += detail::fold_line("UID:" + uid + "-" + w.suffix);
    ics += "DTSTAMP:20000101T000000Z\r\n";
    ics += std::string("DTSTART;VALUE=DATE:") + start + "\r\n";
    ics += std::string("DTEND;VALUE=DATE:") + end + "\r\n";
    ics += "RRULE:" + rrule + "\r\n";
    ics += detail::fold_line(std::string("SUMMARY:") + w.label + ": " + name);
    if (d->year) ics += "X-HEARTH-YEAR:" + std::to_string(d->year) + "\r\n";
    ics += "TRANSP:TRANSPARENT\r\nCATEGORIES:" + std::string(w.label) + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    out.push_back({w.suffix, std::move(ics)});
  }
  return out;
}

}  // namespace hearth::dav::ical
