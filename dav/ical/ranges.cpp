// Time zones (calendar-timezone), free-busy time (RFC 4791 §7.10) and the recurrence-set and
// free-busy limits of calendar-data (§9.6.6, §9.6.7).
#include <strings.h>

#include <algorithm>

#include "dav/ical/detail.hpp"
#include "dav/ical/ical.hpp"

namespace hearth::dav::ical {

using namespace detail;

result<std::unique_ptr<zone>> zone::parse(std::string_view text) {
  auto cal = parse_text(text);
  if (!cal || icalcomponent_isa(cal.get()) != ICAL_VCALENDAR_COMPONENT)
    return fail("ical.timezone", "calendar-timezone is not an iCalendar object");
  if (auto why = first_error(cal.get())) return fail("ical.timezone", "calendar-timezone has errors: " + *why);
  icalcomponent* vtz = nullptr;
  for (auto* c = icalcomponent_get_first_component(cal.get(), ICAL_ANY_COMPONENT); c;
       c = icalcomponent_get_next_component(cal.get(), ICAL_ANY_COMPONENT)) {
    if (icalcomponent_isa(c) != ICAL_VTIMEZONE_COMPONENT || vtz)
      return fail("ical.timezone", "calendar-timezone must hold exactly one VTIMEZONE");
    vtz = c;
  }
  if (!vtz) return fail("ical.timezone", "calendar-timezone must hold exactly one VTIMEZONE");
  if (!icalcomponent_get_first_component(vtz, ICAL_XSTANDARD_COMPONENT) &&
      !icalcomponent_get_first_component(vtz, ICAL_XDAYLIGHT_COMPONENT))
    return fail("ical.timezone", "the VTIMEZONE has no STANDARD or DAYLIGHT rule");
  icalcomponent_remove_component(cal.get(), vtz);
  icaltimezone* tz = icaltimezone_new();
  if (!tz || !icaltimezone_set_component(tz, vtz)) {
    if (tz) icaltimezone_free(tz, 1);
    else icalcomponent_free(vtz);
    return fail("ical.timezone", "the VTIMEZONE has no TZID");
  }
  std::unique_ptr<zone> z(new zone());
  z->tz_ = tz;
  const char* id = icaltimezone_get_tzid(tz);
  z->tzid_ = id ? id : "";
  return z;
}

zone::~zone() {
  if (tz_) icaltimezone_free(static_cast<icaltimezone*>(tz_), 1);
}

namespace {

enum class answer { as_is, tentative, declined };

// The owner's answer in one instance: only when they attend and do not organize it.
answer answer_in(icalcomponent* c, const std::vector<std::string>& mine) {
  auto address = [](icalproperty* p) {
    const char* v = icalproperty_get_value_as_string(p);
    std::string a = v ? v : "";
    for (auto& ch : a)
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    if (a.rfind("mailto:", 0) != 0) return std::string();
    return a.substr(7);
  };
  auto is_mine = [&](icalproperty* p) { return std::find(mine.begin(), mine.end(), address(p)) != mine.end(); };
  auto* org = icalcomponent_get_first_property(c, ICAL_ORGANIZER_PROPERTY);
  if (!org || is_mine(org)) return answer::as_is;
  for (auto* p = icalcomponent_get_first_property(c, ICAL_ATTENDEE_PROPERTY); p;
       p = icalcomponent_get_next_property(c, ICAL_ATTENDEE_PROPERTY)) {
    if (!is_mine(p)) continue;
    const char* ps = icalproperty_get_parameter_as_string(p, "PARTSTAT");
    std::string v = ps ? ps : "NEEDS-ACTION";
    for (auto& ch : v)
      if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    if (v == "DECLINED") return answer::declined;
    if (v == "NEEDS-ACTION" || v == "TENTATIVE") return answer::tentative;
    return answer::as_is;
  }
  return answer::as_is;
}

}  // namespace

std::vector<busy_period> busy(std::string_view text, std::int64_t start, std::int64_t end, const zone* floating,
                              const std::vector<std::string>* mine) {
  floating_scope scope(floating);
  std::vector<busy_period> out;
  auto cal = parse_text(text);
  if (!cal) return out;
  auto clip = [&](std::int64_t s, std::int64_t e, std::string type) {
    s = std::max(s, start);
    e = std::min(e, end);
    if (s < e) out.push_back({s, e, std::move(type)});
  };
  std::vector<std::pair<icalcomponent*, std::int64_t>> starts;
  instance_walk w{start, end, 10000};
  w.starts = &starts;
  walk(cal.get(), w, ICAL_VEVENT_COMPONENT);
  for (auto& [c, s] : starts) {
    if (s == min_time) continue;
    auto* transp = icalcomponent_get_first_property(c, ICAL_TRANSP_PROPERTY);
    if (transp && icalproperty_get_transp(transp) == ICAL_TRANSP_TRANSPARENT) continue;
    auto* status = icalcomponent_get_first_property(c, ICAL_STATUS_PROPERTY);
    auto st = status ? icalproperty_get_status(status) : ICAL_STATUS_NONE;
    if (st == ICAL_STATUS_CANCELLED) continue;
    const auto how = mine ? answer_in(c, *mine) : answer::as_is;
    if (how == answer::declined) continue;
    const bool tentative = st == ICAL_STATUS_TENTATIVE || how == answer::tentative;
    clip(s, s + times_of(c).duration, tentative ? "BUSY-TENTATIVE" : "BUSY");
  }
  for (auto* c = icalcomponent_get_first_component(cal.get(), ICAL_VFREEBUSY_COMPONENT); c;
       c = icalcomponent_get_next_component(cal.get(), ICAL_VFREEBUSY_COMPONENT)) {
    for (auto* p = icalcomponent_get_first_property(c, ICAL_FREEBUSY_PROPERTY); p;
         p = icalcomponent_get_next_property(c, ICAL_FREEBUSY_PROPERTY)) {
      const char* fb = icalproperty_get_parameter_as_string(p, "FBTYPE");
      std::string type = fb ? fb : "BUSY";
      for (auto& ch : type) ch = (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 'a' + 'A') : ch;
      if (type == "FREE") continue;
      // FBTYPE is an iana-token or x-name (RFC 5545 §3.2.9); anything else is reported as BUSY.
      if (!std::all_of(type.begin(), type.end(), [](char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-'; }))
        type = "BUSY";
      auto per = icalproperty_get_freebusy(p);
      if (icaltime_is_null_time(per.start)) continue;
      std::int64_t s = to_unix(per.start);
      std::int64_t e = icaltime_is_null_time(per.end) ? s + icaldurationtype_as_int(per.duration) : to_unix(per.end);
      clip(s, e, type);
    }
  }
  return out;
}

namespace detail {

std::vector<bool> recurrence_keep(std::string_view text, const time_range& r, const zone* floating) {
  floating_scope scope(floating);
  std::vector<bool> keep;
  auto cal = parse_text(text);
  if (!cal) return keep;
  for (auto* c = icalcomponent_get_first_component(cal.get(), ICAL_ANY_COMPONENT); c;
       c = icalcomponent_get_next_component(cal.get(), ICAL_ANY_COMPONENT)) {
    icalproperty* rid = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);
    if (!rid || !is_instance_kind(icalcomponent_isa(c))) {
      keep.push_back(true);  // masters, single events, VTIMEZONEs
      continue;
    }
    const std::int64_t at = to_unix(datetime_of(rid, c));
    const char* range = icalproperty_get_parameter_as_string(rid, "RANGE");
    bool k = (at >= r.start && at < r.end) || (range && strcasecmp(range, "THISANDFUTURE") == 0 && at < r.end);
    auto m = times_of(c);
    if (m.has_start) {
      std::int64_t s = to_unix(m.dtstart);
      k = k || overlap(s, s + m.duration, r.start, r.end);
    }
    keep.push_back(k);
  }
  return keep;
}

bool period_overlaps(std::string_view period, const time_range& r) {
  std::string s(period);
  auto p = icalperiodtype_from_string(s.c_str());
  if (icaltime_is_null_time(p.start)) return true;
  std::int64_t start = to_unix(p.start);
  std::int64_t end = icaltime_is_null_time(p.end) ? start + icaldurationtype_as_int(p.duration) : to_unix(p.end);
  return overlap(start, end, r.start, r.end);
}

}  // namespace detail
}  // namespace hearth::dav::ical
