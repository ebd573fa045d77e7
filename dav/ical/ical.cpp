// iCalendar through libical: validation, indexing, instances, filters, expansion.
#include <libical/ical.h>

#include <algorithm>
#include <cstring>
#include <strings.h>
#include <memory>
#include <map>
#include <set>

#include "dav/ical/detail.hpp"
#include "dav/ical/ical.hpp"

namespace hearth::dav::ical {
namespace detail {


comp_ptr parse_text(std::string_view text) {
  std::string s(text);  // libical wants a NUL-terminated string
  return comp_ptr(icalparser_parse_string(s.c_str()));
}

bool is_instance_kind(icalcomponent_kind k) {
  return k == ICAL_VEVENT_COMPONENT || k == ICAL_VTODO_COMPONENT || k == ICAL_VJOURNAL_COMPONENT ||
         k == ICAL_VFREEBUSY_COMPONENT;
}

// The zone for floating times and DATEs of the call in progress on this thread (set by
// floating_scope in the public functions), else UTC.
thread_local icaltimezone* tls_floating = nullptr;

floating_scope::floating_scope(const zone* z) : saved_(tls_floating) {
  tls_floating = z ? static_cast<icaltimezone*>(z->native()) : nullptr;
}
floating_scope::~floating_scope() { tls_floating = saved_; }


std::int64_t to_unix(icaltimetype t) {
  const icaltimezone* z = t.zone;
  // RFC 4791 §9.9: floating date-times and DATEs are in the calendar's time zone.
  if (!z || t.is_date) z = tls_floating ? tls_floating : icaltimezone_get_utc_timezone();
  if (t.is_date) {
    t.is_date = 0;
    t.hour = t.minute = t.second = 0;
  }
  return static_cast<std::int64_t>(icaltime_as_timet_with_zone(t, z));
}

icaltimetype datetime_of(icalproperty* p, icalcomponent* c) {
  return icalproperty_get_datetime_with_component(p, c);
}


master_times times_of(icalcomponent* c) {
  master_times m;
  auto kind = icalcomponent_isa(c);
  icalproperty* ps = icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY);
  if (ps) {
    m.dtstart = datetime_of(ps, c);
    m.has_start = !icaltime_is_null_time(m.dtstart);
  }
  if (kind == ICAL_VEVENT_COMPONENT || kind == ICAL_VFREEBUSY_COMPONENT) {
    icalproperty* pe = icalcomponent_get_first_property(c, ICAL_DTEND_PROPERTY);
    icalproperty* pd = icalcomponent_get_first_property(c, ICAL_DURATION_PROPERTY);
    if (pe && m.has_start) m.duration = to_unix(datetime_of(pe, c)) - to_unix(m.dtstart);
    else if (pd) m.duration = icaldurationtype_as_int(icalproperty_get_duration(pd));
    else if (m.dtstart.is_date) m.duration = 86400;  // RFC 5545 §3.6.1: a DATE lasts one day
  } else if (kind == ICAL_VTODO_COMPONENT) {
    icalproperty* pdue = icalcomponent_get_first_property(c, ICAL_DUE_PROPERTY);
    icalproperty* pd = icalcomponent_get_first_property(c, ICAL_DURATION_PROPERTY);
    if (pdue && m.has_start) m.duration = to_unix(datetime_of(pdue, c)) - to_unix(m.dtstart);
    else if (pdue) {
      m.dtstart = datetime_of(pdue, c);  // only DUE: an instant at DUE
      m.has_start = true;
    } else if (pd) {
      m.duration = icaldurationtype_as_int(icalproperty_get_duration(pd));
    } else if (!m.has_start) {
      // RFC 4791 §9.9: without DTSTART and DUE a VTODO is placed by COMPLETED and CREATED
      // (between them; at COMPLETED; from CREATED on); with neither it matches every range.
      icalproperty* pc = icalcomponent_get_first_property(c, ICAL_COMPLETED_PROPERTY);
      icalproperty* pcr = icalcomponent_get_first_property(c, ICAL_CREATED_PROPERTY);
      if (pc || pcr) {
        auto tc = pc ? datetime_of(pc, c) : icaltime_null_time();
        auto tcr = pcr ? datetime_of(pcr, c) : icaltime_null_time();
        if (pc && pcr) {
          std::int64_t a = to_unix(tc), b = to_unix(tcr);
          m.dtstart = a <= b ? tc : tcr;
          m.duration = a <= b ? b - a : a - b;
        } else if (pc) {
          m.dtstart = tc;
        } else {
          m.dtstart = tcr;
          m.duration = max_time / 2 - to_unix(tcr);  // open-ended, and no overflow when added
        }
        m.has_start = !icaltime_is_null_time(m.dtstart);
      }
    }
  } else if (kind == ICAL_VJOURNAL_COMPONENT) {
    if (m.dtstart.is_date) m.duration = 86400;
  }
  if (m.duration < 0) m.duration = 0;
  return m;
}

// RFC 4791 §9.9: a zero-length instance overlaps when start <= it < end.
bool overlap(std::int64_t s, std::int64_t e, std::int64_t qs, std::int64_t qe) {
  if (s == e) return qs <= s && s < qe;
  return s < qe && e > qs;
}


// Walks one master (and skips RECURRENCE-IDs in `overridden`).
void walk_master(icalcomponent* c, const std::set<std::int64_t>& overridden, instance_walk& w) {
  auto m = times_of(c);
  if (!m.has_start) {
    // RFC 4791 §9.9: a VTODO without DTSTART/DUE matches every range.
    w.first = std::min(w.first, min_time);
    w.unbounded = true;
    if (w.out && w.out->size() < w.cap) w.out->push_back({w.qstart, w.qstart});
    if (w.starts) w.starts->emplace_back(c, min_time);
    return;
  }
  std::set<std::int64_t> excluded = overridden;
  for (auto* p = icalcomponent_get_first_property(c, ICAL_EXDATE_PROPERTY); p;
       p = icalcomponent_get_next_property(c, ICAL_EXDATE_PROPERTY))
    excluded.insert(to_unix(datetime_of(p, c)));
  std::size_t produced = 0;
  auto emit = [&](std::int64_t s) {
    if (excluded.count(s)) return;
    std::int64_t e = s + m.duration;
    w.first = std::min(w.first, s);
    w.last = std::max(w.last, e);
    if (overlap(s, e, w.qstart, w.qend)) {
      if (w.out && w.out->size() < w.cap) w.out->push_back({s, e});
      if (w.starts && w.starts->size() < w.cap) w.starts->emplace_back(c, s);
    }
    ++produced;
  };
  const std::int64_t start0 = to_unix(m.dtstart);
  bool has_rule = false;
  for (auto* p = icalcomponent_get_first_property(c, ICAL_RRULE_PROPERTY); p;
       p = icalcomponent_get_next_property(c, ICAL_RRULE_PROPERTY)) {
    has_rule = true;
    auto rule = icalproperty_get_rrule(p);
    bool bounded = rule.count > 0 || !icaltime_is_null_time(rule.until);
    icalrecur_iterator* it = icalrecur_iterator_new(rule, m.dtstart);
    if (!it) continue;
    std::size_t n = 0;
    for (auto t = icalrecur_iterator_next(it); !icaltime_is_null_time(t); t = icalrecur_iterator_next(it)) {
      t.zone = m.dtstart.zone;
      std::int64_t s = to_unix(t);
      // Past the query and past the point where the index needs more: stop.
      // Past the query end with an endless rule: one more instance for the index, then stop.
      if (s >= w.qend && !bounded) {
        emit(s);
        w.unbounded = true;
        break;
      }
      if (++n > 200000) {
        w.unbounded = true;
        break;
      }
      emit(s);
    }
    icalrecur_iterator_free(it);
  }
  if (!has_rule) emit(start0);
  for (auto* p = icalcomponent_get_first_property(c, ICAL_RDATE_PROPERTY); p;
       p = icalcomponent_get_next_property(c, ICAL_RDATE_PROPERTY)) {
    auto dp = icalproperty_get_rdate(p);
    if (!icaltime_is_null_time(dp.time)) {
      auto t = dp.time;
      if (const char* tzid = icalproperty_get_parameter_as_string(p, "TZID")) {
        (void)tzid;
        t.zone = m.dtstart.zone;
      }
      emit(to_unix(t));
    } else if (!icaltime_is_null_time(dp.period.start)) {
      emit(to_unix(dp.period.start));
    }
  }
  (void)produced;
}

void walk(icalcomponent* cal, instance_walk& w, icalcomponent_kind only) {
  // Overrides first: their RECURRENCE-IDs are removed from the master's set.
  std::map<std::string, std::set<std::int64_t>> overridden;
  std::vector<icalcomponent*> masters;
  for (auto* c = icalcomponent_get_first_component(cal, ICAL_ANY_COMPONENT); c;
       c = icalcomponent_get_next_component(cal, ICAL_ANY_COMPONENT)) {
    auto k = icalcomponent_isa(c);
    if (!is_instance_kind(k) || (only != ICAL_NO_COMPONENT && k != only)) continue;
    icalproperty* rid = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);
    if (!rid) {
      masters.push_back(c);
      continue;
    }
    const char* uid = icalcomponent_get_uid(c);
    overridden[uid ? uid : ""].insert(to_unix(datetime_of(rid, c)));
    auto m = times_of(c);
    if (!m.has_start) continue;
    std::int64_t s = to_unix(m.dtstart), e = s + m.duration;
    w.first = std::min(w.first, s);
    w.last = std::max(w.last, e);
    if (overlap(s, e, w.qstart, w.qend)) {
      if (w.out && w.out->size() < w.cap) w.out->push_back({s, e});
      if (w.starts && w.starts->size() < w.cap) w.starts->emplace_back(c, s);
    }
  }
  static const std::set<std::int64_t> none;
  for (auto* c : masters) {
    const char* uid = icalcomponent_get_uid(c);
    auto it = overridden.find(uid ? uid : "");
    walk_master(c, it == overridden.end() ? none : it->second, w);
  }
}

// The first error libical recorded (X-LIC-ERROR), ignoring empty values ("DESCRIPTION:"),
// which Google Calendar exports are full of and which libical drops harmlessly.
std::optional<std::string> first_error(icalcomponent* c) {
  for (auto* p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY); p;
       p = icalcomponent_get_next_property(c, ICAL_XLICERROR_PROPERTY)) {
    const char* msg = icalproperty_get_xlicerror(p);
    std::string m = msg ? msg : "";
    if (m.starts_with("No value for")) continue;
    return m.substr(0, 200);
  }
  for (auto* sub = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); sub;
       sub = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
    if (auto e = first_error(sub)) return e;
  return std::nullopt;
}

}  // namespace detail

using namespace detail;


std::optional<std::int64_t> parse_utc(std::string_view text) {
  std::string s(text);
  if (s.size() != 16 && s.size() != 8) return std::nullopt;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    bool ok = (i == 8 && s.size() == 16) ? ch == 'T' : (i == 15 ? ch == 'Z' : (ch >= '0' && ch <= '9'));
    if (!ok) return std::nullopt;
  }
  auto t = icaltime_from_string(s.c_str());
  if (icaltime_is_null_time(t) || !icaltime_is_valid_time(t)) return std::nullopt;
  return static_cast<std::int64_t>(icaltime_as_timet_with_zone(t, icaltimezone_get_utc_timezone()));
}

std::string format_utc(std::int64_t t) {
  auto tt = icaltime_from_timet_with_zone(static_cast<time_t>(t), 0, icaltimezone_get_utc_timezone());
  return icaltime_as_ical_string(tt);
}

result<object_info> inspect(std::string_view text) {
  // RFC 5545 §3.1.4: iCalendar is UTF-8; anything else is not valid calendar data.
  if (!is_utf8_text(text)) return fail("ical.syntax", "the iCalendar object is not UTF-8 text");
  if (text.find("BEGIN:VCALENDAR") == std::string_view::npos) return fail("ical.syntax", "not an iCalendar object");
  auto cal = parse_text(text);
  if (!cal || icalcomponent_isa(cal.get()) != ICAL_VCALENDAR_COMPONENT)
    return fail("ical.syntax", "not an iCalendar object");
  if (auto why = first_error(cal.get())) return fail("ical.syntax", "the iCalendar object has errors: " + *why);
  if (icalcomponent_get_first_property(cal.get(), ICAL_METHOD_PROPERTY))
    return fail("ical.object", "METHOD is not allowed in a calendar object resource");
  object_info info;
  for (auto* c = icalcomponent_get_first_component(cal.get(), ICAL_ANY_COMPONENT); c;
       c = icalcomponent_get_next_component(cal.get(), ICAL_ANY_COMPONENT)) {
    auto k = icalcomponent_isa(c);
    if (k == ICAL_VTIMEZONE_COMPONENT) continue;
    if (!is_instance_kind(k)) return fail("ical.object", "unexpected component");
    std::string kind = icalcomponent_kind_to_string(k);
    if (info.component.empty()) info.component = kind;
    else if (info.component != kind) return fail("ical.object", "several component types in one resource");
    const char* uid = icalcomponent_get_uid(c);
    if (!uid || !*uid) return fail("ical.object", "a component has no UID");
    if (info.uid.empty()) info.uid = uid;
    else if (info.uid != uid) return fail("ical.object", "several UIDs in one resource");
  }
  if (info.component.empty()) return fail("ical.object", "no component");
  instance_walk w{min_time, min_time + 1, 0};
  walk(cal.get(), w);
  info.first_start = w.first;
  info.last_end = w.unbounded ? max_time : w.last;
  if (info.first_start > info.last_end) info.first_start = min_time, info.last_end = max_time;
  return info;
}

std::vector<span> instances(std::string_view text, std::int64_t start, std::int64_t end, std::size_t cap,
                            const zone* floating) {
  floating_scope scope(floating);
  std::vector<span> out;
  auto cal = parse_text(text);
  if (!cal) return out;
  instance_walk w{start, end, cap};
  w.out = &out;
  walk(cal.get(), w);
  return out;
}

std::string expand(std::string_view text, std::int64_t start, std::int64_t end, const zone* floating) {
  floating_scope scope(floating);
  auto cal = parse_text(text);
  if (!cal) return std::string(text);
  std::vector<std::pair<icalcomponent*, std::int64_t>> starts;
  instance_walk w{start, end, 10000};
  w.starts = &starts;
  walk(cal.get(), w);
  comp_ptr out(icalcomponent_new(ICAL_VCALENDAR_COMPONENT));
  for (auto* p = icalcomponent_get_first_property(cal.get(), ICAL_ANY_PROPERTY); p;
       p = icalcomponent_get_next_property(cal.get(), ICAL_ANY_PROPERTY))
    icalcomponent_add_property(out.get(), icalproperty_new_clone(p));
  auto utc = icaltimezone_get_utc_timezone();
  for (auto& [c, s] : starts) {
    icalcomponent* inst = icalcomponent_new_clone(c);
    auto m = times_of(c);
    const auto k = icalcomponent_isa(c);
    const bool had_start = icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY) != nullptr;
    const bool had_due = icalcomponent_get_first_property(c, ICAL_DUE_PROPERTY) != nullptr;
    const bool had_end = icalcomponent_get_first_property(c, ICAL_DTEND_PROPERTY) ||
                         icalcomponent_get_first_property(c, ICAL_DURATION_PROPERTY) || m.dtstart.is_date;
    const bool recurring = icalcomponent_get_first_property(c, ICAL_RRULE_PROPERTY) ||
                           icalcomponent_get_first_property(c, ICAL_RDATE_PROPERTY) ||
                           icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);
    if (s == min_time) {  // a VTODO without dates: nothing to convert
      icalcomponent_add_component(out.get(), inst);
      continue;
    }
    // RFC 4791 §9.6.5: every instance its own component, times in UTC, no RRULE/RDATE/EXDATE,
    // a RECURRENCE-ID on each instance of a recurring component.
    for (auto kind : {ICAL_RRULE_PROPERTY, ICAL_RDATE_PROPERTY, ICAL_EXDATE_PROPERTY, ICAL_DTSTART_PROPERTY,
                      ICAL_DTEND_PROPERTY, ICAL_RECURRENCEID_PROPERTY, ICAL_DURATION_PROPERTY, ICAL_DUE_PROPERTY}) {
      while (auto* p = icalcomponent_get_first_property(inst, kind)) {
        icalcomponent_remove_property(inst, p);
        icalproperty_free(p);
      }
    }
    // All-day components keep DATE values (a DATE has no time zone to convert); date-times go to UTC.
    const bool all_day = m.dtstart.is_date;
    auto at = [&](std::int64_t v) {
      return all_day ? icaltime_from_timet_with_zone(static_cast<time_t>(v), 1, tls_floating ? tls_floating : utc)
                     : icaltime_from_timet_with_zone(static_cast<time_t>(v), 0, utc);
    };
    auto ts = at(s);
    auto te = at(s + m.duration);
    if (k != ICAL_VTODO_COMPONENT || had_start) icalcomponent_add_property(inst, icalproperty_new_dtstart(ts));
    // (A VTODO placed by COMPLETED/CREATED keeps those as they are: they are already UTC.)
    if (k == ICAL_VEVENT_COMPONENT && had_end) icalcomponent_add_property(inst, icalproperty_new_dtend(te));
    if (k == ICAL_VTODO_COMPONENT && had_due) icalcomponent_add_property(inst, icalproperty_new_due(had_start ? te : ts));
    else if (k == ICAL_VTODO_COMPONENT && had_start && icalcomponent_get_first_property(c, ICAL_DURATION_PROPERTY))
      icalcomponent_add_property(inst, icalproperty_new_duration(icaldurationtype_from_int(static_cast<int>(m.duration))));
    if (recurring) {
      std::int64_t rid = s;
      if (auto* p = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY)) rid = to_unix(datetime_of(p, c));
      icalcomponent_add_property(inst, icalproperty_new_recurrenceid(at(rid)));
    }
    icalcomponent_add_component(out.get(), inst);
  }
  char* s = icalcomponent_as_ical_string_r(out.get());
  std::string result = s ? s : "";
  free(s);
  return result;
}

}  // namespace hearth::dav::ical
