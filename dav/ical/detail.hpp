// Shared between the files of dav/ical (not a public interface).
#pragma once
#include <string_view>
#include <vector>

#include "dav/ical/ical.hpp"

namespace hearth::dav::ical::detail {

// RFC 4791 §9.6.6, one flag per top-level component of the VCALENDAR in document order: false
// for an override (RECURRENCE-ID) that neither overlaps `r` nor replaces an instance that
// would have (its RECURRENCE-ID in `r`, or RANGE=THISANDFUTURE starting before r's end).
// Empty when the text does not parse.
std::vector<bool> recurrence_keep(std::string_view text, const time_range& r, const zone* floating);

// Whether one FREEBUSY period ("start/end" or "start/duration") overlaps `r`; unparseable: true.
bool period_overlaps(std::string_view period, const time_range& r);

}  // namespace hearth::dav::ical::detail
