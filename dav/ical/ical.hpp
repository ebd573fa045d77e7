// iCalendar (RFC 5545, through libical) and vCard (RFC 6350 / 2426) for CalDAV and CardDAV:
// validation of object resources, the fields the store indexes, query filters (RFC 4791 §9.7,
// RFC 6352 §10.5) and recurrence expansion (RFC 4791 §9.6.5). Pure: text in, values out; no I/O.
// Thread-safe (libical's time zone cache has its own lock).
//
// Times are Unix seconds (UTC). Floating times and dates are taken in the calendar's time zone
// (calendar-timezone, RFC 4791 §9.9) when the caller passes one, else as UTC.
#pragma once
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::dav::ical {

inline constexpr std::int64_t min_time = std::numeric_limits<std::int64_t>::min();
inline constexpr std::int64_t max_time = std::numeric_limits<std::int64_t>::max();

// "19970714T170000Z" (or a DATE "19970714") as Unix seconds; nullopt if malformed.
std::optional<std::int64_t> parse_utc(std::string_view text);
// Unix seconds as "19970714T170000Z".
std::string format_utc(std::int64_t t);

// ---- time zones (RFC 4791 §5.2.2) ----
// A calendar's time zone: the one VTIMEZONE of a calendar-timezone value, applied to floating
// date-times and DATEs. libical expands a zone's rules lazily in place, so one zone must not be
// used by two threads at once: parse one per request.
class zone {
 public:
  // Errors: "ical.timezone" unless `text` is a VCALENDAR holding exactly one valid VTIMEZONE and
  // no other component (RFC 4791 §5.2.2).
  static result<std::unique_ptr<zone>> parse(std::string_view text);
  ~zone();
  zone(const zone&) = delete;
  zone& operator=(const zone&) = delete;
  void* native() const { return tz_; }  // icaltimezone*
  const std::string& tzid() const { return tzid_; }

 private:
  zone() = default;
  void* tz_ = nullptr;
  std::string tzid_;
};

struct object_info {
  std::string uid;
  std::string component;  // "VEVENT", "VTODO" or "VJOURNAL" (VFREEBUSY too)
  std::int64_t first_start = min_time;  // earliest instance start
  std::int64_t last_end = max_time;     // latest instance end; max_time when unbounded
};

// Whether `s` is UTF-8 (RFC 3629: shortest forms, no surrogates) without NUL: the only
// charset of iCalendar (RFC 5545 §3.1.4) and vCard (RFC 6350 §3.1) that Hearth stores, and all
// that PostgreSQL's TEXT takes, so the stores behave the same on both engines.
bool is_utf8_text(std::string_view s);

// Validates one calendar object resource (RFC 4791 §4.1). Errors (code):
//   "ical.syntax"  not UTF-8 text (is_utf8_text), not parseable iCalendar, or libical reported
//                  errors (valid-calendar-data)
//   "ical.object"  no component, several component types, several UIDs, no UID, METHOD
//                  present (valid-calendar-object-resource)
result<object_info> inspect(std::string_view text);

struct span {
  std::int64_t start = 0;
  std::int64_t end = 0;
};

// Every instance of the object's components (master with RRULE/RDATE minus EXDATE and minus
// overridden RECURRENCE-IDs, plus the overrides) that overlaps [start, end) (RFC 4791 §9.9).
// At most `cap` instances are produced.
std::vector<span> instances(std::string_view text, std::int64_t start, std::int64_t end, std::size_t cap = 10000,
                            const zone* floating = nullptr);

// RFC 4791 §7.10: the busy time of an object in [start, end), clipped to it: VEVENT instances
// that are not TRANSP:TRANSPARENT, not STATUS:CANCELLED and not zero-length (BUSY, or
// BUSY-TENTATIVE for STATUS:TENTATIVE), and the FREEBUSY periods of VFREEBUSY components (their
// FBTYPE; FREE ones skipped). `mine`: the calendar owner's addresses (lower case, no mailto:);
// when given, an instance they attend but do not organize counts by their answer there
// (RFC 6638 §3.2.2 ATTENDEE PARTSTAT, as CalendarServer and Stalwart count it): DECLINED is
// free, NEEDS-ACTION or TENTATIVE is BUSY-TENTATIVE.
struct busy_period {
  std::int64_t start = 0;
  std::int64_t end = 0;
  std::string fbtype = "BUSY";
};
std::vector<busy_period> busy(std::string_view text, std::int64_t start, std::int64_t end, const zone* floating = nullptr,
                              const std::vector<std::string>* mine = nullptr);

// ---- filters ----
struct text_match {
  std::string text{};
  std::string collation = "i;ascii-casemap";  // also "i;unicode-casemap", "i;octet"
  std::string match_type = "contains";        // "equals", "contains", "starts-with", "ends-with"
  bool negate = false;
};
struct time_range {
  std::int64_t start = min_time;
  std::int64_t end = max_time;
};
struct param_filter {
  std::string name{};
  bool is_not_defined = false;
  std::optional<text_match> match{};
};
struct prop_filter {
  std::string name{};
  bool is_not_defined = false;
  bool allof = false;  // CardDAV test="allof" among text-matches/param-filters
  std::optional<time_range> range{};
  std::vector<text_match> matches{};
  std::vector<param_filter> params{};
};
struct comp_filter {
  std::string name{};
  bool is_not_defined = false;
  std::optional<time_range> range{};
  std::vector<prop_filter> props{};
  std::vector<comp_filter> comps{};
};

// Whether the collation is one we implement (else CalDAV/CardDAV supported-collation).
bool known_collation(std::string_view c);
bool text_matches(std::string_view value, const text_match& m);

// RFC 4791 §9.7: `f` is the filter's top comp-filter (name VCALENDAR). Unparseable text: false.
bool matches(std::string_view text, const comp_filter& f, const zone* floating = nullptr);

// RFC 4791 §9.6.5: the object with recurring components replaced by their instances in
// [start, end) as UTC overrides (RECURRENCE-ID, no RRULE/RDATE/EXDATE); unparseable: as is.
std::string expand(std::string_view text, std::int64_t start, std::int64_t end, const zone* floating = nullptr);

// ---- partial retrieval (RFC 4791 §9.6, RFC 6352 §10.4) ----
struct prop_select {
  std::string name;
  bool novalue = false;  // return the property without its value
};
// <C:comp name=...>: (allprop | prop*), (allcomp | comp*). Empty lists select nothing.
struct comp_select {
  std::string name;
  bool allprop = false;
  std::vector<prop_select> props{};
  bool allcomp = false;
  std::vector<comp_select> comps{};
};
struct calendar_data_spec {
  std::optional<comp_select> comp{};
  std::optional<time_range> expand{};            // §9.6.5
  std::optional<time_range> limit_recurrence{};  // §9.6.6
  std::optional<time_range> limit_freebusy{};    // §9.6.7
};
// The calendar-data the spec asks for: expand or limit-recurrence-set first (the master and
// only the overrides that bear on the range), then FREEBUSY periods outside limit-freebusy-set
// dropped, then the comp/prop selection. Lines that survive are kept as stored.
std::string calendar_data(std::string_view text, const calendar_data_spec& spec, const zone* floating = nullptr);
// RFC 6352 §10.4: only the named properties (groups ignored: "item1.EMAIL" is EMAIL) between
// BEGIN:VCARD and END:VCARD.
std::string address_data(std::string_view text, const std::vector<prop_select>& props);

// Splits an export (one VCALENDAR with many components, as Google Calendar writes it) into
// calendar object resources: one VCALENDAR per UID holding the master and its overrides, the
// calendar's properties except METHOD, and the VTIMEZONEs its components use. Lines are kept as
// sent. Components that are exact duplicates of one already seen are dropped (counted in
// `duplicates`); components without UID are returned in `no_uid`.
struct split_result {
  std::vector<std::string> objects;
  std::size_t duplicates = 0;
  std::size_t no_uid = 0;
};
split_result split_calendar(std::string_view text);

// ---- vCard ----
struct vcard_info {
  std::string uid;
  std::string version;  // "3.0" or "4.0"
};
// RFC 6352 §5.1: one vCard, BEGIN/END, VERSION 3.0 or 4.0, FN, UID, in UTF-8 text
// (is_utf8_text). Error codes "vcard.invalid", "vcard.no_uid" (all else is fine: an importer
// may add one).
result<vcard_info> inspect_vcard(std::string_view text);

struct addressbook_filter {
  bool allof = false;  // test="anyof" (default) or "allof" among prop-filters
  std::vector<prop_filter> props;
};
bool vcard_matches(std::string_view text, const addressbook_filter& f);

// The card in vCard `version` ("3.0" or "4.0"), for address-data with a version (RFC 6352
// §10.4): VERSION, TYPE=pref/PREF, inline PHOTO/LOGO/SOUND/KEY (ENCODING=b / data: URIs), GEO,
// BDAY/ANNIVERSARY (with Apple's year-less form), KIND/MEMBER (Apple's X-ADDRESSBOOKSERVER-*)
// and N (required in 3.0) rewritten; everything else kept. A card already in that version, or
// not a card, comes back as it is.
std::string convert_vcard(std::string_view text, std::string_view version);

// The read-only birthday calendar's events for one card: a yearly all-day VEVENT for BDAY
// (suffix "bday") and for ANNIVERSARY or X-ANNIVERSARY ("anniv"), UID = the card's UID plus
// "-" suffix. Dates without a year (vCard 4.0 --MMDD, Apple's X-APPLE-OMIT-YEAR) are placed in
// 2000. Nothing for a card without those dates, or not a card. Same card, same bytes.
struct birthday_event {
  std::string suffix;
  std::string ics;
};
std::vector<birthday_event> birthday_events(std::string_view vcard);

// Splits a file holding many VCARDs (an export) into single cards, text kept as sent.
std::vector<std::string> split_vcards(std::string_view text);

}  // namespace hearth::dav::ical
