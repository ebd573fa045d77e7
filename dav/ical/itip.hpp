// iTIP (RFC 5546) as CalDAV scheduling (RFC 6638) and iMIP (RFC 6047) use it: who organizes
// and who attends a calendar object, the messages the server sends for them (REQUEST, CANCEL,
// REPLY, free-busy REPLY), and applying a REPLY to the organizer's copy. Pure: text in, text out
// (libical); no I/O. Thread-safe.
//
// Calendar user addresses are compared as "mailto:" addresses with the scheme dropped and the
// whole address in lower case (RFC 6638 §3.2 leaves the comparison to the server; mail
// addresses are what Hearth's accounts are).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "dav/ical/ical.hpp"

namespace hearth::dav::ical {

// RFC 4791 §5.2.9 max-attendees-per-instance: more distinct attendees than this in one object
// is refused before anything is sent (an invitation to 10 000 people is a mail bomb).
inline constexpr std::size_t max_attendees = 1000;

// "mailto:Anna@Example.TEST" -> "anna@example.test"; anything that is not a mailto: address -> "".
std::string cal_address(std::string_view value);

struct attendee {
  std::string address;            // cal_address() of the value; empty when not mailto:
  std::string partstat = "NEEDS-ACTION";
  std::string agent = "SERVER";   // RFC 6638 §7.1 SCHEDULE-AGENT: SERVER, CLIENT or NONE
  std::string cn;
};

struct scheduling {
  std::string method;        // METHOD of an iTIP message; empty for a stored object
  std::string uid;
  std::string component;     // VEVENT, VTODO, VFREEBUSY...
  std::string organizer;     // cal_address() of ORGANIZER; empty: not a scheduling object
  std::string organizer_cn;
  std::string organizer_agent = "SERVER";
  std::string summary;
  std::string dtstart;       // as written, for the readable part of an invitation
  std::int64_t sequence = 0;
  std::vector<attendee> attendees;  // each address once, in order of first appearance
};

// Whether the text may hold an ORGANIZER property (property names are case-insensitive): a
// cheap test before parsing, true for every scheduling object.
bool mentions_organizer(std::string_view text);

// The scheduling facts of a calendar object or an iTIP message. Errors: "ical.syntax" (not one
// VCALENDAR), "itip.too_many" (more than max_attendees distinct attendees).
result<scheduling> scheduling_of(std::string_view text);

// The iTIP REQUEST (or, with cancel, CANCEL: STATUS:CANCELLED, SEQUENCE raised) made from the
// organizer's stored copy. RFC 6638 §3.2.2/§7: SCHEDULE-AGENT, SCHEDULE-STATUS and
// SCHEDULE-FORCE-SEND are server-side parameters and are not sent.
std::string itip_request(std::string_view stored);
std::string itip_cancel(std::string_view stored);
// RFC 5546 §3.2.3: the REPLY of `attendee` made from their copy: METHOD:REPLY, each component
// with ORGANIZER, only that attendee's ATTENDEE, UID, DTSTAMP, SEQUENCE, RECURRENCE-ID, DTSTART
// and DTEND/DURATION.
std::string itip_reply(std::string_view stored, std::string_view address);

// The object an attendee's calendar keeps for a REQUEST: METHOD removed. When `previous` (their
// copy so far) has the same SEQUENCE, the attendee's PARTSTAT from it is kept (a mere update
// does not ask again; a rescheduling does, RFC 5546 §2.1.4).
std::string attendee_copy(std::string_view request, std::string_view previous, std::string_view address);

// How a new invitation looks in the attendee's calendar before they answer (the issue's
// "tentative" setting): each VEVENT whose attendee `address` still has PARTSTAT=NEEDS-ACTION
// gets STATUS:TENTATIVE, unless the organizer cancelled it. Other components are unchanged
// (STATUS:TENTATIVE is defined for VEVENT only, RFC 5545 §3.8.1.11).
// The organizer's STATUS is kept in this parameter of the STATUS property ("NONE": it had
// none), so that answered() can put it back.
inline constexpr std::string_view tentative_marker = "X-HEARTH-ORGANIZER-STATUS";
std::string as_tentative(std::string_view copy, std::string_view address);
// Once `address` has answered (PARTSTAT other than NEEDS-ACTION) in a component that
// as_tentative() marked, the organizer's STATUS comes back: an accepted meeting is busy, not
// tentative. Components the attendee's client stripped of the marker are left as they are.
std::string answered(std::string_view copy, std::string_view address);

// Applies a REPLY from `address` to the organizer's copy: that attendee's PARTSTAT in every
// component the reply names (the master reply: every component), SCHEDULE-STATUS=2.0.
// nullopt when the reply is not a REPLY for this UID, or `address` is not an attendee there (a
// reply from someone not invited changes nothing).
std::optional<std::string> apply_reply(std::string_view organizer_copy, std::string_view reply, std::string_view address);

// The stored copy with SCHEDULE-STATUS set on the ATTENDEE properties named in `status`
// (address -> "1.2" ...) and SCHEDULE-FORCE-SEND removed (RFC 6638 §7.2, §7.3).
std::string with_schedule_status(std::string_view stored, const std::map<std::string, std::string>& status);

// The copy with `address`'s PARTSTAT set in every component (an attendee deleting declines).
std::string with_partstat(std::string_view stored, std::string_view address, std::string_view partstat);

// RFC 6638 §3.2.10 Schedule-Tag: changes when the object changes except for attendees'
// PARTSTAT and SCHEDULE-STATUS (what replies update) and DTSTAMP. Quoted, like an ETag.
std::string schedule_tag(std::string_view stored);

// A free-busy request POSTed to the outbox (RFC 6638 §6.1): METHOD:REQUEST, one VFREEBUSY
// with ORGANIZER, DTSTART, DTEND and ATTENDEEs. Errors: "itip.invalid" (what is missing),
// "itip.too_many".
struct freebusy_request {
  std::string uid;
  std::string organizer;       // cal_address()
  std::string organizer_value; // as written
  std::vector<std::string> attendees;        // cal_address(), each once
  std::vector<std::string> attendee_values;  // as written
  std::int64_t start = 0, end = 0;
};
result<freebusy_request> parse_freebusy_request(std::string_view text);
// The METHOD:REPLY VFREEBUSY for one attendee (RFC 5546 §3.3.2), periods merged and sorted.
std::string freebusy_reply(const freebusy_request& req, std::size_t attendee_index, std::vector<busy_period> busy);

}  // namespace hearth::dav::ical
