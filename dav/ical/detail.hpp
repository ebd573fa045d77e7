// Shared between the files of dav/ical (not a public interface): libical helpers and the
// recurrence walk that ical.cpp defines.
#pragma once
#include <libical/ical.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dav/ical/ical.hpp"

namespace hearth::dav::ical::detail {

struct comp_deleter {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
using comp_ptr = std::unique_ptr<icalcomponent, comp_deleter>;

comp_ptr parse_text(std::string_view text);
// One content line folded at 75 octets without splitting a UTF-8 sequence, CRLF-terminated
// (RFC 5545 §3.1, RFC 6350 §3.2: the same rule for iCalendar and vCard).
std::string fold_line(std::string_view line);
bool is_instance_kind(icalcomponent_kind k);

// Sets the zone for floating times and DATEs of this thread's calls until destroyed.
class floating_scope {
 public:
  explicit floating_scope(const zone* z);
  ~floating_scope();
  floating_scope(const floating_scope&) = delete;
  floating_scope& operator=(const floating_scope&) = delete;

 private:
  icaltimezone* saved_;
};

// Unix seconds; floating times and DATEs in the floating_scope's zone, else UTC.
std::int64_t to_unix(icaltimetype t);
icaltimetype datetime_of(icalproperty* p, icalcomponent* c);

// The span of one occurrence starting at `start`, given the component's duration.
struct master_times {
  icaltimetype dtstart = icaltime_null_time();
  std::int64_t duration = 0;
  bool has_start = false;
};
master_times times_of(icalcomponent* c);

// RFC 4791 §9.9: a zero-length instance overlaps when start <= it < end.
bool overlap(std::int64_t s, std::int64_t e, std::int64_t qs, std::int64_t qe);

struct instance_walk {
  std::int64_t qstart, qend;
  std::size_t cap;
  std::vector<span>* out = nullptr;
  std::vector<std::pair<icalcomponent*, std::int64_t>>* starts = nullptr;  // for expand
  std::int64_t first = max_time, last = min_time;
  bool unbounded = false;
};
// Every instance of the recurring components of `cal` (of kind `only`, or all) overlapping
// [w.qstart, w.qend), into w.out / w.starts, and the object's overall span into w.first/last.
void walk(icalcomponent* cal, instance_walk& w, icalcomponent_kind only = ICAL_NO_COMPONENT);
// The first error libical recorded (X-LIC-ERROR), ignoring empty values.
std::optional<std::string> first_error(icalcomponent* c);

// RFC 4791 §9.6.6, one flag per top-level component of the VCALENDAR in document order: false
// for an override (RECURRENCE-ID) that neither overlaps `r` nor replaces an instance that
// would have (its RECURRENCE-ID in `r`, or RANGE=THISANDFUTURE starting before r's end).
// Empty when the text does not parse.
std::vector<bool> recurrence_keep(std::string_view text, const time_range& r, const zone* floating);

// Whether one FREEBUSY period ("start/end" or "start/duration") overlaps `r`; unparseable: true.
bool period_overlaps(std::string_view period, const time_range& r);

}  // namespace hearth::dav::ical::detail
