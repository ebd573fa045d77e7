// Time zones, floating times, expand, partial retrieval, free-busy and VALARM/VTODO time ranges.
#include <algorithm>
#include "dav/ical/ical.hpp"

using namespace hearth::dav::ical;

namespace {
const char* weekly = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
                     "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\n"
                     "BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
                     "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n"
                     "BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
                     "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
                     "BEGIN:VEVENT\r\nUID:w1\r\nDTSTAMP:20300101T000000Z\r\n"
                     "DTSTART;TZID=Europe/Paris:20300107T100000\r\nDTEND;TZID=Europe/Paris:20300107T110000\r\n"
                     "RRULE:FREQ=WEEKLY;COUNT=10\r\nEXDATE;TZID=Europe/Paris:20300114T100000\r\nSUMMARY:weekly\r\nEND:VEVENT\r\n"
                     "BEGIN:VEVENT\r\nUID:w1\r\nDTSTAMP:20300101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Paris:20300121T100000\r\n"
                     "DTSTART;TZID=Europe/Paris:20300122T150000\r\nDTEND;TZID=Europe/Paris:20300122T160000\r\n"
                     "SUMMARY:moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
}  // namespace

namespace {
const char* paris_tz = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
                       "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\n"
                       "BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
                       "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n"
                       "BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
                       "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n";
const char* floating_ev = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:f\r\n"
                          "DTSTAMP:20300101T000000Z\r\nDTSTART:20300107T100000\r\nDTEND:20300107T110000\r\n"
                          "SUMMARY:floating\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
comp_filter range_filter(const char* s, const char* e) {
  comp_filter ev;
  ev.name = "VEVENT";
  ev.range = time_range{*parse_utc(s), *parse_utc(e)};
  comp_filter top;
  top.name = "VCALENDAR";
  top.comps.push_back(ev);
  return top;
}
}  // namespace

TEST_CASE("zone::parse takes exactly one VTIMEZONE (RFC 4791 §5.2.2)") {
  auto z = zone::parse(paris_tz);
  REQUIRE(z);
  CHECK((*z)->tzid() == "Europe/Paris");
  CHECK(zone::parse("garbage").error().code == "ical.timezone");
  CHECK(zone::parse(floating_ev).error().code == "ical.timezone");
  std::string two = paris_tz;
  auto tz = two.substr(two.find("BEGIN:VTIMEZONE"), two.find("END:VCALENDAR") - two.find("BEGIN:VTIMEZONE"));
  two.insert(two.find("END:VCALENDAR"), tz);
  CHECK(zone::parse(two).error().code == "ical.timezone");
  CHECK(zone::parse("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n").error().code == "ical.timezone");
}

TEST_CASE("floating times are taken in the calendar's zone (RFC 4791 §9.9)") {
  auto z = zone::parse(paris_tz);
  REQUIRE(z);
  // 10:00 floating is 09:00Z in Paris in January, 10:00Z without a zone.
  CHECK(matches(floating_ev, range_filter("20300107T090000Z", "20300107T093000Z"), z->get()));
  CHECK_FALSE(matches(floating_ev, range_filter("20300107T090000Z", "20300107T093000Z")));
  CHECK(matches(floating_ev, range_filter("20300107T103000Z", "20300107T120000Z")));
  CHECK_FALSE(matches(floating_ev, range_filter("20300107T103000Z", "20300107T120000Z"), z->get()));
  auto in = instances(floating_ev, *parse_utc("20300101T000000Z"), *parse_utc("20300201T000000Z"), 10, z->get());
  REQUIRE(in.size() == 1);
  CHECK(in[0].start == *parse_utc("20300107T090000Z"));
  CHECK(in[0].end == *parse_utc("20300107T100000Z"));
}

TEST_CASE("expand: one UTC component per instance, RECURRENCE-ID, no RRULE (RFC 4791 §9.6.5)") {
  auto out = expand(weekly, *parse_utc("20300101T000000Z"), *parse_utc("20300201T000000Z"));
  CHECK(out.find("RRULE") == std::string::npos);
  CHECK(out.find("EXDATE") == std::string::npos);
  CHECK(out.find("VTIMEZONE") == std::string::npos);
  CHECK(out.find("TZID") == std::string::npos);
  CHECK(out.find("DTSTART:20300107T090000Z") != std::string::npos);
  CHECK(out.find("RECURRENCE-ID:20300107T090000Z") != std::string::npos);
  CHECK(out.find("DTSTART:20300122T140000Z") != std::string::npos);   // the moved one
  CHECK(out.find("RECURRENCE-ID:20300121T090000Z") != std::string::npos);
  CHECK(out.find("DTSTART:20300128T090000Z") != std::string::npos);
  std::size_t n = 0;
  for (auto p = out.find("BEGIN:VEVENT"); p != std::string::npos; p = out.find("BEGIN:VEVENT", p + 1)) ++n;
  CHECK(n == 3);
}

TEST_CASE("calendar_data: limit-recurrence-set keeps the master and the overrides that bear on the range") {
  calendar_data_spec spec;
  spec.limit_recurrence = time_range{*parse_utc("20300201T000000Z"), *parse_utc("20300301T000000Z")};
  auto feb = calendar_data(weekly, spec);
  CHECK(feb.find("RECURRENCE-ID") == std::string::npos);
  CHECK(feb.find("RRULE:FREQ=WEEKLY;COUNT=10") != std::string::npos);
  CHECK(feb.find("BEGIN:VTIMEZONE") != std::string::npos);
  CHECK(feb == std::string(weekly).substr(0, std::string(weekly).find("BEGIN:VEVENT\r\nUID:w1\r\nDTSTAMP:20300101T000000Z\r\nRECURRENCE-ID")) +
                   "END:VCALENDAR\r\n");
  spec.limit_recurrence = time_range{*parse_utc("20300122T000000Z"), *parse_utc("20300123T000000Z")};
  CHECK(calendar_data(weekly, spec) == weekly);
  // The override's RECURRENCE-ID (Jan 21) is in range even though it moved out of it.
  spec.limit_recurrence = time_range{*parse_utc("20300121T000000Z"), *parse_utc("20300122T000000Z")};
  CHECK(calendar_data(weekly, spec) == weekly);
}

TEST_CASE("calendar_data: comp/prop selection (RFC 4791 §9.6.1-§9.6.4)") {
  comp_select ev{"VEVENT", false, {{"UID", false}, {"summary", false}, {"DTSTART", true}}, false, {}};
  comp_select top{"VCALENDAR", false, {{"VERSION", false}}, false, {ev}};
  calendar_data_spec spec;
  spec.comp = top;
  CHECK(calendar_data(weekly, spec) ==
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
        "BEGIN:VEVENT\r\nUID:w1\r\nDTSTART;TZID=Europe/Paris:\r\nSUMMARY:weekly\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:w1\r\nDTSTART;TZID=Europe/Paris:\r\nSUMMARY:moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
  spec.comp = comp_select{"VCALENDAR", true, {}, true, {}};
  CHECK(calendar_data(weekly, spec) == weekly);
  spec.comp = comp_select{"VCALENDAR", false, {}, false, {}};
  CHECK(calendar_data(weekly, spec) == "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
  // Folded lines travel whole.
  std::string folded = floating_ev;
  folded.replace(folded.find("SUMMARY:floating"), 16, "SUMMARY:a long\r\n  summary");
  spec.comp = comp_select{"VCALENDAR", false, {}, false, {comp_select{"VEVENT", false, {{"SUMMARY", false}}, false, {}}}};
  CHECK(calendar_data(folded, spec) == "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:a long\r\n  summary\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
}

TEST_CASE("calendar_data: limit-freebusy-set drops FREEBUSY periods outside the range (RFC 4791 §9.6.7)") {
  const char* fb = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VFREEBUSY\r\nUID:fb\r\nDTSTAMP:20300101T000000Z\r\n"
                   "FREEBUSY:20300101T100000Z/20300101T110000Z,20300105T100000Z/PT1H\r\n"
                   "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20300110T100000Z/PT1H\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n";
  calendar_data_spec spec;
  spec.limit_freebusy = time_range{*parse_utc("20300101T000000Z"), *parse_utc("20300102T000000Z")};
  CHECK(calendar_data(fb, spec) == "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VFREEBUSY\r\nUID:fb\r\nDTSTAMP:20300101T000000Z\r\n"
                                   "FREEBUSY:20300101T100000Z/20300101T110000Z\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n");
  spec.limit_freebusy = time_range{*parse_utc("20300105T103000Z"), *parse_utc("20300111T000000Z")};
  CHECK(calendar_data(fb, spec) == "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VFREEBUSY\r\nUID:fb\r\nDTSTAMP:20300101T000000Z\r\n"
                                   "FREEBUSY:20300105T100000Z/PT1H\r\nFREEBUSY;FBTYPE=BUSY-TENTATIVE:20300110T100000Z/PT1H\r\n"
                                   "END:VFREEBUSY\r\nEND:VCALENDAR\r\n");
}

TEST_CASE("address_data: only the named properties, groups ignored (RFC 6352 §10.4)") {
  const char* card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Ann\r\nitem1.EMAIL;TYPE=work:ann@example.test\r\n"
                     "NOTE:a long\r\n  note\r\nEND:VCARD\r\n";
  CHECK(address_data(card, {{"FN", false}, {"email", false}, {"NOTE", false}}) ==
        "BEGIN:VCARD\r\nFN:Ann\r\nitem1.EMAIL;TYPE=work:ann@example.test\r\nNOTE:a long\r\n  note\r\nEND:VCARD\r\n");
  CHECK(address_data(card, {{"UID", true}}) == "BEGIN:VCARD\r\nUID:\r\nEND:VCARD\r\n");
}

TEST_CASE("busy: TRANSP, STATUS and VFREEBUSY periods (RFC 4791 §7.10)") {
  auto ev = [](const char* extra, const char* uid) {
    return std::string("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:") + uid +
           "\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20300301T100000Z\r\nDTEND:20300301T110000Z\r\n" + extra +
           "END:VEVENT\r\nEND:VCALENDAR\r\n";
  };
  auto s = *parse_utc("20300301T000000Z"), e = *parse_utc("20300302T000000Z");
  auto plain = busy(ev("", "a"), s, e);
  REQUIRE(plain.size() == 1);
  CHECK(plain[0].fbtype == "BUSY");
  CHECK(plain[0].start == *parse_utc("20300301T100000Z"));
  CHECK(busy(ev("TRANSP:TRANSPARENT\r\n", "b"), s, e).empty());
  CHECK(busy(ev("STATUS:CANCELLED\r\n", "c"), s, e).empty());
  auto tentative = busy(ev("STATUS:TENTATIVE\r\n", "d"), s, e);
  REQUIRE(tentative.size() == 1);
  CHECK(tentative[0].fbtype == "BUSY-TENTATIVE");
  // Clipped to the range.
  auto clipped = busy(ev("", "a"), *parse_utc("20300301T103000Z"), e);
  REQUIRE(clipped.size() == 1);
  CHECK(clipped[0].start == *parse_utc("20300301T103000Z"));
  const char* fb = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VFREEBUSY\r\nUID:fb\r\nDTSTAMP:20300101T000000Z\r\n"
                   "DTSTART:20300301T000000Z\r\nDTEND:20300302T000000Z\r\n"
                   "FREEBUSY:20300301T080000Z/20300301T090000Z,20300301T120000Z/PT1H\r\n"
                   "FREEBUSY;FBTYPE=FREE:20300301T130000Z/PT1H\r\nFREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20300301T140000Z/PT1H\r\n"
                   "END:VFREEBUSY\r\nEND:VCALENDAR\r\n";
  auto periods = busy(fb, s, e);
  REQUIRE(periods.size() == 3);
  CHECK(periods[1].start == *parse_utc("20300301T120000Z"));
  CHECK(periods[1].end == *parse_utc("20300301T130000Z"));
  CHECK(periods[2].fbtype == "BUSY-UNAVAILABLE");
  auto info = inspect(fb);
  REQUIRE(info);
  CHECK(info->last_end == e);  // indexed by DTSTART/DTEND
}

TEST_CASE("expand keeps all-day instances as DATEs") {
  const char* daily = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:ad\r\nDTSTAMP:20300101T000000Z\r\n"
                      "DTSTART;VALUE=DATE:20300107\r\nDTEND;VALUE=DATE:20300108\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n"
                      "SUMMARY:all day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  auto out = expand(daily, *parse_utc("20300110T000000Z"), *parse_utc("20300120T000000Z"));
  CHECK(out.find("DTSTART;VALUE=DATE:20300114\r\n") != std::string::npos);
  CHECK(out.find("DTEND;VALUE=DATE:20300115\r\n") != std::string::npos);
  CHECK(out.find("RECURRENCE-ID;VALUE=DATE:20300114\r\n") != std::string::npos);
  CHECK(out.find("DTSTART:") == std::string::npos);
  auto z = zone::parse(paris_tz);
  REQUIRE(z);
  auto paris = expand(daily, *parse_utc("20300110T000000Z"), *parse_utc("20300120T000000Z"), z->get());
  CHECK(paris.find("DTSTART;VALUE=DATE:20300114\r\n") != std::string::npos);
}

TEST_CASE("a VTODO without DTSTART and DUE is placed by COMPLETED and CREATED (RFC 4791 §9.9)") {
  auto todo = [](const char* props) {
    return std::string("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:t\r\nDTSTAMP:20300101T000000Z\r\n") + props +
           "SUMMARY:t\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
  };
  auto in = [](const std::string& text, const char* s, const char* e) {
    comp_filter t;
    t.name = "VTODO";
    t.range = time_range{*parse_utc(s), *parse_utc(e)};
    comp_filter top;
    top.name = "VCALENDAR";
    top.comps.push_back(t);
    return matches(text, top);
  };
  auto both = todo("CREATED:20300110T000000Z\r\nCOMPLETED:20300120T000000Z\r\n");
  CHECK(in(both, "20300115T000000Z", "20300116T000000Z"));
  CHECK_FALSE(in(both, "20300201T000000Z", "20300202T000000Z"));
  CHECK_FALSE(in(both, "20300101T000000Z", "20300102T000000Z"));
  auto completed = todo("COMPLETED:20300120T000000Z\r\n");
  CHECK(in(completed, "20300120T000000Z", "20300121T000000Z"));
  CHECK_FALSE(in(completed, "20300115T000000Z", "20300116T000000Z"));
  auto created = todo("CREATED:20300110T000000Z\r\n");
  CHECK(in(created, "20350101T000000Z", "20350102T000000Z"));
  CHECK_FALSE(in(created, "20300101T000000Z", "20300102T000000Z"));
  CHECK(in(todo(""), "20000101T000000Z", "20000102T000000Z"));
  auto info = inspect(created);
  REQUIRE(info);
  CHECK(info->first_start == *parse_utc("20300110T000000Z"));
  CHECK(expand(created, *parse_utc("20300101T000000Z"), *parse_utc("20400101T000000Z")).find("CREATED:20300110T000000Z") !=
        std::string::npos);
}

TEST_CASE("VALARM time-range: trigger times of every instance (RFC 4791 §9.9)") {
  const char* ev = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:al\r\nDTSTAMP:20300101T000000Z\r\n"
                   "DTSTART:20300107T090000Z\r\nDTEND:20300107T100000Z\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n"
                   "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\n"
                   "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:y\r\nTRIGGER;RELATED=END:PT1H\r\nREPEAT:2\r\nDURATION:PT10M\r\n"
                   "END:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  auto alarm_filter = [](const char* s, const char* e) {
    comp_filter al;
    al.name = "VALARM";
    al.range = time_range{*parse_utc(s), *parse_utc(e)};
    comp_filter evf;
    evf.name = "VEVENT";
    evf.comps.push_back(al);
    comp_filter top;
    top.name = "VCALENDAR";
    top.comps.push_back(evf);
    return top;
  };
  CHECK(matches(ev, alarm_filter("20300114T084000Z", "20300114T085000Z")));   // 08:45 on the 2nd instance
  CHECK_FALSE(matches(ev, alarm_filter("20300114T085000Z", "20300114T090000Z")));
  CHECK(matches(ev, alarm_filter("20300121T111500Z", "20300121T112500Z")));   // END+1h, 2nd repeat 11:20
  CHECK_FALSE(matches(ev, alarm_filter("20300128T080000Z", "20300128T120000Z")));  // no 4th instance
}

TEST_CASE("busy: an FBTYPE that is not a token is reported as BUSY") {
  const char* fb = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VFREEBUSY\r\nUID:fb\r\nDTSTAMP:20300101T000000Z\r\n"
                   "FREEBUSY;FBTYPE=\"a:b\":20300301T080000Z/20300301T090000Z\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n";
  auto periods = busy(fb, *parse_utc("20300301T000000Z"), *parse_utc("20300302T000000Z"));
  REQUIRE(periods.size() == 1);
  CHECK(periods[0].fbtype == "BUSY");
}

TEST_CASE("busy: the owner's answer to a meeting counts, instance by instance") {
  // A daily meeting organized by o@x.test; the owner a@x.test accepted the series, declined
  // the second day and has not answered the third.
  const std::string meeting =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:m\r\nDTSTAMP:20300101T000000Z\r\n"
      "DTSTART:20300301T100000Z\r\nDTEND:20300301T110000Z\r\nRRULE:FREQ=DAILY;COUNT=3\r\n"
      "ORGANIZER:mailto:o@x.test\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:A@x.test\r\nEND:VEVENT\r\n"
      "BEGIN:VEVENT\r\nUID:m\r\nRECURRENCE-ID:20300302T100000Z\r\nDTSTAMP:20300101T000000Z\r\n"
      "DTSTART:20300302T100000Z\r\nDTEND:20300302T110000Z\r\n"
      "ORGANIZER:mailto:o@x.test\r\nATTENDEE;PARTSTAT=DECLINED:mailto:a@x.test\r\nEND:VEVENT\r\n"
      "BEGIN:VEVENT\r\nUID:m\r\nRECURRENCE-ID:20300303T100000Z\r\nDTSTAMP:20300101T000000Z\r\n"
      "DTSTART:20300303T100000Z\r\nDTEND:20300303T110000Z\r\n"
      "ORGANIZER:mailto:o@x.test\r\nATTENDEE:mailto:a@x.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  auto s = *parse_utc("20300301T000000Z"), e = *parse_utc("20300304T000000Z");
  const std::vector<std::string> mine{"a@x.test"};
  auto p = busy(meeting, s, e, nullptr, &mine);
  std::sort(p.begin(), p.end(), [](const busy_period& x, const busy_period& y) { return x.start < y.start; });
  REQUIRE(p.size() == 2);
  CHECK(p[0].start == *parse_utc("20300301T100000Z"));
  CHECK(p[0].fbtype == "BUSY");
  CHECK(p[1].start == *parse_utc("20300303T100000Z"));
  CHECK(p[1].fbtype == "BUSY-TENTATIVE");
  // Without the owner's addresses, every instance is busy as the event says.
  CHECK(busy(meeting, s, e).size() == 3);
  // The organizer's own meeting is busy whatever the attendees answered.
  const std::vector<std::string> organizer{"o@x.test"};
  CHECK(busy(meeting, s, e, nullptr, &organizer).size() == 3);
}
