// iTIP messages for CalDAV scheduling and iMIP (see itip.hpp).
#include "dav/ical/itip.hpp"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <set>

#include "core/crypto/crypto.hpp"
#include "dav/ical/detail.hpp"

namespace hearth::dav::ical {

using namespace detail;

namespace {

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return o;
}

std::string upper(std::string s) {
  for (auto& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

std::string serialize(icalcomponent* c) {
  char* s = icalcomponent_as_ical_string_r(c);
  std::string out = s ? s : "";
  free(s);
  return out;
}

std::string param(icalproperty* p, const char* name) {
  const char* v = icalproperty_get_parameter_as_string(p, name);
  return v ? std::string(v) : std::string();
}

// Removes every parameter of this kind (libical removes one per call).
void drop_param(icalproperty* p, icalparameter_kind k) {
  for (int i = 0; i < 16 && icalproperty_get_first_parameter(p, k); ++i) icalproperty_remove_parameter_by_kind(p, k);
}

void drop_schedule_params(icalproperty* p) {
  drop_param(p, ICAL_SCHEDULEAGENT_PARAMETER);
  drop_param(p, ICAL_SCHEDULESTATUS_PARAMETER);
  drop_param(p, ICAL_SCHEDULEFORCESEND_PARAMETER);
}

std::string address_of(icalproperty* p) {
  const char* v = icalproperty_get_value_as_string(p);
  return v ? cal_address(v) : std::string();
}

// The top-level components that carry scheduling properties (not VTIMEZONE).
std::vector<icalcomponent*> items(icalcomponent* cal) {
  std::vector<icalcomponent*> out;
  for (auto* c = icalcomponent_get_first_component(cal, ICAL_ANY_COMPONENT); c;
       c = icalcomponent_get_next_component(cal, ICAL_ANY_COMPONENT))
    if (is_instance_kind(icalcomponent_isa(c))) out.push_back(c);
  return out;
}

template <class F>
void each_prop(icalcomponent* c, icalproperty_kind k, F f) {
  std::vector<icalproperty*> ps;
  for (auto* p = icalcomponent_get_first_property(c, k); p; p = icalcomponent_get_next_property(c, k)) ps.push_back(p);
  for (auto* p : ps) f(p);
}

void set_method(icalcomponent* cal, icalproperty_method m) {
  each_prop(cal, ICAL_METHOD_PROPERTY, [&](icalproperty* p) {
    icalcomponent_remove_property(cal, p);
    icalproperty_free(p);
  });
  icalcomponent_add_property(cal, icalproperty_new_method(m));
}

comp_ptr parse_cal(std::string_view text) {
  if (text.find("BEGIN:VCALENDAR") == std::string_view::npos) return nullptr;
  auto cal = parse_text(text);
  if (!cal || icalcomponent_isa(cal.get()) != ICAL_VCALENDAR_COMPONENT) return nullptr;
  return cal;
}

std::string rid_of(icalcomponent* c) {
  auto* p = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);
  if (!p) return {};
  return std::to_string(to_unix(datetime_of(p, c)));
}

int sequence_of(icalcomponent* cal) {
  for (auto* c : items(cal))
    if (!icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY)) return icalcomponent_get_sequence(c);
  auto it = items(cal);
  return it.empty() ? 0 : icalcomponent_get_sequence(it.front());
}

std::string clean(std::string_view v) {
  std::string o;
  for (char c : v)
    if (c != '\r' && c != '\n') o += c;
  return o;
}

}  // namespace

std::string cal_address(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  if (value.size() < 8 || lower(value.substr(0, 7)) != "mailto:") return {};
  auto a = lower(value.substr(7));
  if (a.empty() || a.find('@') == std::string::npos || a.size() > 320) return {};
  return a;
}

bool mentions_organizer(std::string_view text) {
  static constexpr std::string_view word = "organizer";
  auto it = std::search(text.begin(), text.end(), word.begin(), word.end(), [](char a, char b) {
    return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
  });
  return it != text.end();
}

result<scheduling> scheduling_of(std::string_view text) {
  auto cal = parse_cal(text);
  if (!cal) return fail("ical.syntax", "not an iCalendar object");
  scheduling s;
  if (auto* m = icalcomponent_get_first_property(cal.get(), ICAL_METHOD_PROPERTY)) {
    const char* v = icalproperty_get_value_as_string(m);
    s.method = v ? upper(v) : "";
  }
  std::set<std::string> seen;
  bool master_seen = false;
  for (auto* c : items(cal.get())) {
    if (s.component.empty()) s.component = icalcomponent_kind_to_string(icalcomponent_isa(c));
    if (s.uid.empty())
      if (const char* u = icalcomponent_get_uid(c)) s.uid = u;
    const bool master = !icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);
    if (master && !master_seen) {
      master_seen = true;
      s.sequence = icalcomponent_get_sequence(c);
      if (const char* sum = icalcomponent_get_summary(c)) s.summary = sum;
      if (auto* d = icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY))
        if (const char* v = icalproperty_get_value_as_string(d)) s.dtstart = v;
    }
    if (s.organizer.empty())
      if (auto* o = icalcomponent_get_first_property(c, ICAL_ORGANIZER_PROPERTY)) {
        s.organizer = address_of(o);
        s.organizer_cn = param(o, "CN");
        auto ag = upper(param(o, "SCHEDULE-AGENT"));
        if (!ag.empty()) s.organizer_agent = ag;
      }
    std::size_t here = 0;
    for (auto* p = icalcomponent_get_first_property(c, ICAL_ATTENDEE_PROPERTY); p;
         p = icalcomponent_get_next_property(c, ICAL_ATTENDEE_PROPERTY)) {
      if (++here > max_attendees) return fail("itip.too_many", "more than " + std::to_string(max_attendees) + " attendees");
      auto a = address_of(p);
      if (a.empty() || !seen.insert(a).second) continue;
      attendee at;
      at.address = a;
      auto ps = upper(param(p, "PARTSTAT"));
      if (!ps.empty()) at.partstat = ps;
      auto ag = upper(param(p, "SCHEDULE-AGENT"));
      if (!ag.empty()) at.agent = ag;
      at.cn = param(p, "CN");
      s.attendees.push_back(std::move(at));
    }
    if (s.attendees.size() > max_attendees)
      return fail("itip.too_many", "more than " + std::to_string(max_attendees) + " attendees");
  }
  return s;
}

namespace {
std::string message(std::string_view stored, bool cancel) {
  auto cal = parse_cal(stored);
  if (!cal) return std::string(stored);
  set_method(cal.get(), cancel ? ICAL_METHOD_CANCEL : ICAL_METHOD_REQUEST);
  for (auto* c : items(cal.get())) {
    each_prop(c, ICAL_ORGANIZER_PROPERTY, drop_schedule_params);
    each_prop(c, ICAL_ATTENDEE_PROPERTY, drop_schedule_params);
    if (cancel) {
      icalcomponent_set_status(c, ICAL_STATUS_CANCELLED);
      icalcomponent_set_sequence(c, icalcomponent_get_sequence(c) + 1);
    }
  }
  return serialize(cal.get());
}
}  // namespace

std::string itip_request(std::string_view stored) { return message(stored, false); }
std::string itip_cancel(std::string_view stored) { return message(stored, true); }

std::string itip_reply(std::string_view stored, std::string_view address) {
  auto cal = parse_cal(stored);
  if (!cal) return std::string(stored);
  comp_ptr out(icalcomponent_new(ICAL_VCALENDAR_COMPONENT));
  icalcomponent_add_property(out.get(), icalproperty_new_version("2.0"));
  icalcomponent_add_property(out.get(), icalproperty_new_prodid("-//Hearth//CalDAV scheduling//EN"));
  icalcomponent_add_property(out.get(), icalproperty_new_method(ICAL_METHOD_REPLY));
  for (auto* c = icalcomponent_get_first_component(cal.get(), ICAL_VTIMEZONE_COMPONENT); c;
       c = icalcomponent_get_next_component(cal.get(), ICAL_VTIMEZONE_COMPONENT))
    icalcomponent_add_component(out.get(), icalcomponent_new_clone(c));
  for (auto* c : items(cal.get())) {
    icalcomponent* r = icalcomponent_new(icalcomponent_isa(c));
    bool has_attendee = false;
    for (auto* p = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY); p;
         p = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY)) {
      auto k = icalproperty_isa(p);
      if (k == ICAL_ATTENDEE_PROPERTY) {
        if (has_attendee || address_of(p) != address) continue;
        has_attendee = true;
      } else if (k != ICAL_ORGANIZER_PROPERTY && k != ICAL_UID_PROPERTY && k != ICAL_DTSTAMP_PROPERTY &&
                 k != ICAL_SEQUENCE_PROPERTY && k != ICAL_RECURRENCEID_PROPERTY && k != ICAL_DTSTART_PROPERTY &&
                 k != ICAL_DTEND_PROPERTY && k != ICAL_DURATION_PROPERTY && k != ICAL_DUE_PROPERTY &&
                 k != ICAL_SUMMARY_PROPERTY) {
        continue;
      }
      auto* np = icalproperty_new_clone(p);
      drop_schedule_params(np);
      icalcomponent_add_property(r, np);
    }
    if (has_attendee) icalcomponent_add_component(out.get(), r);
    else icalcomponent_free(r);
  }
  return serialize(out.get());
}

std::string attendee_copy(std::string_view request, std::string_view previous, std::string_view address) {
  auto cal = parse_cal(request);
  if (!cal) return std::string(request);
  each_prop(cal.get(), ICAL_METHOD_PROPERTY, [&](icalproperty* p) {
    icalcomponent_remove_property(cal.get(), p);
    icalproperty_free(p);
  });
  if (!previous.empty()) {
    auto prev = parse_cal(previous);
    if (prev && sequence_of(prev.get()) == sequence_of(cal.get())) {
      std::map<std::string, std::string> kept;  // recurrence id -> PARTSTAT
      for (auto* c : items(prev.get()))
        each_prop(c, ICAL_ATTENDEE_PROPERTY, [&](icalproperty* p) {
          if (address_of(p) == address && !param(p, "PARTSTAT").empty()) kept[rid_of(c)] = param(p, "PARTSTAT");
        });
      for (auto* c : items(cal.get())) {
        auto it = kept.find(rid_of(c));
        if (it == kept.end()) it = kept.find("");
        if (it == kept.end()) continue;
        each_prop(c, ICAL_ATTENDEE_PROPERTY, [&](icalproperty* p) {
          if (address_of(p) == address) icalproperty_set_parameter_from_string(p, "PARTSTAT", it->second.c_str());
        });
      }
    }
  }
  return serialize(cal.get());
}

std::string as_tentative(std::string_view copy, std::string_view address) {
  auto cal = parse_cal(copy);
  if (!cal) return std::string(copy);
  bool changed = false;
  for (auto* c : items(cal.get())) {
    if (icalcomponent_isa(c) != ICAL_VEVENT_COMPONENT) continue;
    bool unanswered = false;
    each_prop(c, ICAL_ATTENDEE_PROPERTY, [&](icalproperty* p) {
      if (address_of(p) != address) return;
      auto ps = upper(param(p, "PARTSTAT"));
      unanswered = ps.empty() || ps == "NEEDS-ACTION";
    });
    if (!unanswered) continue;
    auto* st = icalcomponent_get_first_property(c, ICAL_STATUS_PROPERTY);
    if (st && icalproperty_get_status(st) == ICAL_STATUS_CANCELLED) continue;
    if (st && icalproperty_get_status(st) == ICAL_STATUS_TENTATIVE) continue;
    // What the organizer said goes in a parameter, so that the answer can put it back.
    std::string was = st ? clean(icalproperty_get_value_as_string(st)) : std::string("NONE");
    if (!st) {
      st = icalproperty_new_status(ICAL_STATUS_TENTATIVE);
      icalcomponent_add_property(c, st);
    } else {
      icalproperty_set_status(st, ICAL_STATUS_TENTATIVE);
    }
    icalproperty_set_parameter_from_string(st, std::string(tentative_marker).c_str(), was.c_str());
    changed = true;
  }
  return changed ? serialize(cal.get()) : std::string(copy);
}

std::string answered(std::string_view copy, std::string_view address) {
  auto cal = parse_cal(copy);
  if (!cal) return std::string(copy);
  bool changed = false;
  for (auto* c : items(cal.get())) {
    auto* st = icalcomponent_get_first_property(c, ICAL_STATUS_PROPERTY);
    if (!st) continue;
    const std::string was = param(st, std::string(tentative_marker).c_str());
    if (was.empty()) continue;
    bool unanswered = true;
    each_prop(c, ICAL_ATTENDEE_PROPERTY, [&](icalproperty* p) {
      if (address_of(p) != address) return;
      auto ps = upper(param(p, "PARTSTAT"));
      unanswered = ps.empty() || ps == "NEEDS-ACTION";
    });
    if (unanswered) continue;
    if (upper(was) == "NONE") {
      icalcomponent_remove_property(c, st);
      icalproperty_free(st);
    } else {
      icalproperty_remove_parameter_by_name(st, std::string(tentative_marker).c_str());
      auto v = icalproperty_string_to_status(upper(was).c_str());
      icalproperty_set_status(st, v == ICAL_STATUS_NONE || v == ICAL_STATUS_X ? ICAL_STATUS_CONFIRMED : v);
    }
    changed = true;
  }
  return changed ? serialize(cal.get()) : std::string(copy);
}

std::optional<std::string> apply_reply(std::string_view organizer_copy, std::string_view reply, std::string_view address) {
  auto cal = parse_cal(organizer_copy);
  auto rep = parse_cal(reply);
  if (!cal || !rep || address.empty()) return std::nullopt;
  auto* m = icalcomponent_get_first_property(rep.get(), ICAL_METHOD_PROPERTY);
  if (!m || icalproperty_get_method(m) != ICAL_METHOD_REPLY) return std::nullopt;
  auto mine = items(cal.get());
  if (mine.empty()) return std::nullopt;
  const char* uid = icalcomponent_get_uid(mine.front());
  bool applied = false;
  for (auto* rc : items(rep.get())) {
    const char* ruid = icalcomponent_get_uid(rc);
    if (!uid || !ruid || std::string_view(uid) != ruid) return std::nullopt;
    std::string partstat;
    each_prop(rc, ICAL_ATTENDEE_PROPERTY, [&](icalproperty* p) {
      if (address_of(p) == address && partstat.empty()) partstat = upper(param(p, "PARTSTAT"));
    });
    static const std::set<std::string> valid = {"ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED", "NEEDS-ACTION",
                                                "COMPLETED", "IN-PROCESS"};
    if (!valid.count(partstat)) continue;
    const auto rid = rid_of(rc);
    for (auto* c : mine) {
      if (!rid.empty() && rid_of(c) != rid) continue;
      each_prop(c, ICAL_ATTENDEE_PROPERTY, [&](icalproperty* p) {
        if (address_of(p) != address) return;
        icalproperty_set_parameter_from_string(p, "PARTSTAT", partstat.c_str());
        drop_param(p, ICAL_SCHEDULESTATUS_PARAMETER);
        icalproperty_set_parameter_from_string(p, "SCHEDULE-STATUS", "2.0");
        applied = true;
      });
    }
  }
  if (!applied) return std::nullopt;
  return serialize(cal.get());
}

std::string with_schedule_status(std::string_view stored, const std::map<std::string, std::string>& status) {
  auto cal = parse_cal(stored);
  if (!cal) return std::string(stored);
  for (auto* c : items(cal.get())) {
    each_prop(c, ICAL_ORGANIZER_PROPERTY, [](icalproperty* p) { drop_param(p, ICAL_SCHEDULEFORCESEND_PARAMETER); });
    each_prop(c, ICAL_ATTENDEE_PROPERTY, [&](icalproperty* p) {
      drop_param(p, ICAL_SCHEDULEFORCESEND_PARAMETER);
      auto it = status.find(address_of(p));
      if (it == status.end()) return;
      drop_param(p, ICAL_SCHEDULESTATUS_PARAMETER);
      icalproperty_set_parameter_from_string(p, "SCHEDULE-STATUS", it->second.c_str());
    });
  }
  return serialize(cal.get());
}

std::string with_partstat(std::string_view stored, std::string_view address, std::string_view partstat) {
  auto cal = parse_cal(stored);
  if (!cal) return std::string(stored);
  const std::string ps(partstat);
  for (auto* c : items(cal.get()))
    each_prop(c, ICAL_ATTENDEE_PROPERTY, [&](icalproperty* p) {
      if (address_of(p) == address) icalproperty_set_parameter_from_string(p, "PARTSTAT", ps.c_str());
    });
  return serialize(cal.get());
}

std::string schedule_tag(std::string_view stored) {
  std::string basis(stored);
  if (auto cal = parse_cal(stored)) {
    for (auto* c : items(cal.get())) {
      each_prop(c, ICAL_DTSTAMP_PROPERTY, [&](icalproperty* p) {
        icalcomponent_remove_property(c, p);
        icalproperty_free(p);
      });
      each_prop(c, ICAL_ATTENDEE_PROPERTY, [](icalproperty* p) {
        drop_param(p, ICAL_PARTSTAT_PARAMETER);
        drop_param(p, ICAL_SCHEDULESTATUS_PARAMETER);
        drop_param(p, ICAL_RSVP_PARAMETER);
      });
    }
    basis = serialize(cal.get());
  }
  auto h = crypto::sha256(basis);
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < 16; ++i) {
    out += hex[static_cast<unsigned char>(h[i]) >> 4];
    out += hex[static_cast<unsigned char>(h[i]) & 15];
  }
  return out + "\"";
}

result<freebusy_request> parse_freebusy_request(std::string_view text) {
  auto cal = parse_cal(text);
  if (!cal) return fail("itip.invalid", "not an iCalendar object");
  auto* m = icalcomponent_get_first_property(cal.get(), ICAL_METHOD_PROPERTY);
  if (!m || icalproperty_get_method(m) != ICAL_METHOD_REQUEST) return fail("itip.invalid", "METHOD:REQUEST is required");
  auto all = items(cal.get());
  if (all.size() != 1 || icalcomponent_isa(all.front()) != ICAL_VFREEBUSY_COMPONENT)
    return fail("itip.invalid", "exactly one VFREEBUSY is required");
  auto* fb = all.front();
  freebusy_request r;
  if (const char* u = icalcomponent_get_uid(fb)) r.uid = u;
  auto* org = icalcomponent_get_first_property(fb, ICAL_ORGANIZER_PROPERTY);
  if (!org) return fail("itip.invalid", "ORGANIZER is required");
  r.organizer = address_of(org);
  if (const char* v = icalproperty_get_value_as_string(org)) r.organizer_value = clean(v);
  auto* ds = icalcomponent_get_first_property(fb, ICAL_DTSTART_PROPERTY);
  auto* de = icalcomponent_get_first_property(fb, ICAL_DTEND_PROPERTY);
  if (!ds || !de) return fail("itip.invalid", "DTSTART and DTEND are required");
  r.start = to_unix(datetime_of(ds, fb));
  r.end = to_unix(datetime_of(de, fb));
  if (r.end <= r.start) return fail("itip.invalid", "DTEND must be after DTSTART");
  std::set<std::string> seen;
  std::size_t n = 0;
  for (auto* p = icalcomponent_get_first_property(fb, ICAL_ATTENDEE_PROPERTY); p;
       p = icalcomponent_get_next_property(fb, ICAL_ATTENDEE_PROPERTY)) {
    if (++n > max_attendees) return fail("itip.too_many", "more than " + std::to_string(max_attendees) + " attendees");
    const char* v = icalproperty_get_value_as_string(p);
    std::string value = v ? clean(v) : "";
    if (!seen.insert(lower(value)).second) continue;
    r.attendees.push_back(cal_address(value));
    r.attendee_values.push_back(value);
  }
  if (r.attendees.empty()) return fail("itip.invalid", "at least one ATTENDEE is required");
  return r;
}

std::string freebusy_reply(const freebusy_request& req, std::size_t i, std::vector<busy_period> busy) {
  std::sort(busy.begin(), busy.end(), [](const busy_period& a, const busy_period& b) {
    return a.fbtype != b.fbtype ? a.fbtype < b.fbtype : a.start < b.start;
  });
  std::vector<busy_period> merged;
  for (auto& b : busy) {
    if (!merged.empty() && merged.back().fbtype == b.fbtype && b.start <= merged.back().end)
      merged.back().end = std::max(merged.back().end, b.end);
    else merged.push_back(b);
  }
  std::string out = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hearth//CalDAV scheduling//EN\r\nMETHOD:REPLY\r\n"
                    "BEGIN:VFREEBUSY\r\n";
  if (!req.uid.empty()) out += fold_line("UID:" + clean(req.uid));
  out += "DTSTAMP:" + format_utc(static_cast<std::int64_t>(std::time(nullptr))) + "\r\n";
  out += "DTSTART:" + format_utc(req.start) + "\r\nDTEND:" + format_utc(req.end) + "\r\n";
  out += fold_line("ORGANIZER:" + req.organizer_value);
  out += fold_line("ATTENDEE:" + req.attendee_values.at(i));
  for (auto& b : merged) {
    std::string line = "FREEBUSY";
    if (b.fbtype != "BUSY") line += ";FBTYPE=" + b.fbtype;
    out += fold_line(line + ":" + format_utc(b.start) + "/" + format_utc(b.end));
  }
  out += "END:VFREEBUSY\r\nEND:VCALENDAR\r\n";
  return out;
}

}  // namespace hearth::dav::ical
