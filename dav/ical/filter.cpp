// calendar-query filters (RFC 4791 §9.7) with the time-range rules of §9.9, VALARM included.
#include <strings.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "dav/ical/detail.hpp"
#include "dav/ical/ical.hpp"

namespace hearth::dav::ical {

using namespace detail;

namespace {

bool prop_matches(icalcomponent* c, const prop_filter& f) {
  auto kind = icalproperty_string_to_kind(f.name.c_str());
  std::vector<icalproperty*> props;
  for (auto* p = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY); p;
       p = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY)) {
    bool same = kind != ICAL_X_PROPERTY && kind != ICAL_NO_PROPERTY
                    ? icalproperty_isa(p) == kind
                    : (icalproperty_get_property_name(p) && strcasecmp(icalproperty_get_property_name(p), f.name.c_str()) == 0);
    if (same) props.push_back(p);
  }
  if (f.is_not_defined) return props.empty();
  if (props.empty()) return false;
  for (auto* p : props) {
    bool ok = true;
    if (f.range) {
      auto t = to_unix(datetime_of(p, c));
      ok = t >= f.range->start && t < f.range->end;
    }
    const char* v = icalproperty_get_value_as_string(p);
    for (auto& m : f.matches) ok = ok && text_matches(v ? v : "", m);
    for (auto& pf : f.params) {
      const char* pv = icalproperty_get_parameter_as_string(p, pf.name.c_str());
      if (pf.is_not_defined) ok = ok && !pv;
      else if (!pv) ok = false;
      else if (pf.match) ok = ok && text_matches(pv, *pf.match);
    }
    if (ok) return true;
  }
  return false;
}

bool comp_matches(icalcomponent* cal, icalcomponent* c, const comp_filter& f);

bool children_match(icalcomponent* cal, icalcomponent* parent, const comp_filter& f) {
  auto kind = icalcomponent_string_to_kind(f.name.c_str());
  std::vector<icalcomponent*> found;
  for (auto* c = icalcomponent_get_first_component(parent, ICAL_ANY_COMPONENT); c;
       c = icalcomponent_get_next_component(parent, ICAL_ANY_COMPONENT))
    if (icalcomponent_isa(c) == kind) found.push_back(c);
  if (f.is_not_defined) return found.empty();
  for (auto* c : found)
    if (comp_matches(cal, c, f)) return true;
  return false;
}

// RFC 4791 §9.9: a VALARM overlaps [start, end) when one of its trigger times (for every
// instance of the component it belongs to, repeats included) falls in it.
bool alarm_in_range(icalcomponent* cal, icalcomponent* alarm, const time_range& r) {
  icalcomponent* parent = icalcomponent_get_parent(alarm);
  icalproperty* tp = icalcomponent_get_first_property(alarm, ICAL_TRIGGER_PROPERTY);
  if (!tp || !parent) return false;
  auto trig = icalproperty_get_trigger(tp);
  std::int64_t repeat = 0, every = 0;
  if (auto* rp = icalcomponent_get_first_property(alarm, ICAL_REPEAT_PROPERTY)) repeat = icalproperty_get_repeat(rp);
  if (auto* dp = icalcomponent_get_first_property(alarm, ICAL_DURATION_PROPERTY))
    every = icaldurationtype_as_int(icalproperty_get_duration(dp));
  if (every <= 0 || repeat < 0) repeat = 0;
  repeat = std::min<std::int64_t>(repeat, 1000);
  auto fires = [&](std::int64_t t0) {
    for (std::int64_t i = 0; i <= repeat; ++i)
      if (t0 + i * every >= r.start && t0 + i * every < r.end) return true;
    return false;
  };
  if (!icaltime_is_null_time(trig.time)) return fires(to_unix(trig.time));
  const std::int64_t off = icaldurationtype_as_int(trig.duration);
  const char* rel = icalproperty_get_parameter_as_string(tp, "RELATED");
  const bool at_end = rel && strcasecmp(rel, "END") == 0;
  // Instances whose trigger can land in the range start or end within this much of it.
  const std::int64_t slack = (off < 0 ? -off : off) + repeat * every + 1;
  instance_walk w{r.start > min_time + slack ? r.start - slack : min_time, r.end < max_time - slack ? r.end + slack : max_time,
                  10000};
  std::vector<std::pair<icalcomponent*, std::int64_t>> starts;
  w.starts = &starts;
  walk(cal, w, icalcomponent_isa(parent));
  for (auto& [comp, start] : starts) {
    if (comp != parent || start == min_time) continue;
    if (fires((at_end ? start + times_of(comp).duration : start) + off)) return true;
  }
  return false;
}

bool comp_matches(icalcomponent* cal, icalcomponent* c, const comp_filter& f) {
  if (f.range && icalcomponent_isa(c) == ICAL_VALARM_COMPONENT && !alarm_in_range(cal, c, *f.range)) return false;
  if (f.range && is_instance_kind(icalcomponent_isa(c))) {
    // The time range is tested against the whole recurrence set of this UID and type.
    instance_walk w{f.range->start, f.range->end, 1};
    std::vector<span> hits;
    w.out = &hits;
    walk(cal, w, icalcomponent_isa(c));
    if (hits.empty()) return false;
  }
  for (auto& p : f.props)
    if (!prop_matches(c, p)) return false;
  for (auto& sub : f.comps)
    if (!children_match(cal, c, sub)) return false;
  return true;
}

}  // namespace

bool matches(std::string_view text, const comp_filter& f, const zone* floating) {
  floating_scope scope(floating);
  auto cal = parse_text(text);
  if (!cal) return false;
  if (f.name != "VCALENDAR") return false;
  if (f.is_not_defined) return false;
  return comp_matches(cal.get(), cal.get(), f);
}

}  // namespace hearth::dav::ical
