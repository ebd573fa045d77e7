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
}

TEST_CASE("inspect indexes UID, component and the span of all instances") {
  auto info = inspect(weekly);
  REQUIRE(info);
  CHECK(info->uid == "w1");
  CHECK(info->component == "VEVENT");
  CHECK(info->first_start == *parse_utc("20300107T090000Z"));  // 10:00 Paris in winter
  CHECK(info->last_end == *parse_utc("20300311T100000Z"));     // 10th instance, 11:00 Paris
}

TEST_CASE("inspect accepts empty values (Google exports) but not bad ones") {
  const char* google = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:g\r\nDTSTAMP:20300101T000000Z\r\n"
                       "DTSTART:20300101T100000Z\r\nDESCRIPTION:\r\nLOCATION:\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  CHECK(inspect(google));
  auto bad = std::string(google);
  bad.replace(bad.find("20300101T100000Z"), 16, "notadate");
  CHECK(inspect(bad).error().code == "ical.syntax");
}

TEST_CASE("inspect rejects bad objects with the RFC 4791 reason") {
  CHECK(inspect("hello").error().code == "ical.syntax");
  auto two = std::string(weekly);
  two.replace(two.rfind("UID:w1"), 6, "UID:w2");
  CHECK(inspect(two).error().code == "ical.object");
  CHECK(inspect("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20300101T000000Z\r\n"
                "DTSTART:20300101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
            .error()
            .code == "ical.object");
}

TEST_CASE("instances honour EXDATE, overrides and time zones") {
  auto jan = instances(weekly, *parse_utc("20300101T000000Z"), *parse_utc("20300201T000000Z"));
  // Jan 7, (14 excluded), 21 moved to 22, 28 -> 3 instances.
  REQUIRE(jan.size() == 3);
  auto excluded = instances(weekly, *parse_utc("20300114T000000Z"), *parse_utc("20300115T000000Z"));
  CHECK(excluded.empty());
  auto moved = instances(weekly, *parse_utc("20300122T000000Z"), *parse_utc("20300123T000000Z"));
  REQUIRE(moved.size() == 1);
  CHECK(moved[0].start == *parse_utc("20300122T140000Z"));
  CHECK(instances(weekly, *parse_utc("20300121T000000Z"), *parse_utc("20300122T000000Z")).empty());
}

TEST_CASE("calendar-query filters") {
  comp_filter f{"VCALENDAR"};
  comp_filter ev{"VEVENT"};
  ev.range = time_range{*parse_utc("20300304T000000Z"), *parse_utc("20300305T000000Z")};
  f.comps.push_back(ev);
  CHECK(matches(weekly, f));
  f.comps[0].range = time_range{*parse_utc("20310101T000000Z"), *parse_utc("20310102T000000Z")};
  CHECK_FALSE(matches(weekly, f));
  f.comps[0].range.reset();
  prop_filter pf{"SUMMARY"};
  pf.matches.push_back({"WEEK"});
  f.comps[0].props.push_back(pf);
  CHECK(matches(weekly, f));
  f.comps[0].props[0].matches[0].collation = "i;octet";
  CHECK_FALSE(matches(weekly, f));
  comp_filter todo{"VCALENDAR"};
  todo.comps.push_back({"VTODO"});
  CHECK_FALSE(matches(weekly, todo));
}

TEST_CASE("expand returns UTC instances with RECURRENCE-ID") {
  auto out = expand(weekly, *parse_utc("20300101T000000Z"), *parse_utc("20300201T000000Z"));
  CHECK(out.find("RRULE") == std::string::npos);
  CHECK(out.find("DTSTART:20300107T090000Z") != std::string::npos);
  CHECK(out.find("RECURRENCE-ID:20300128T090000Z") != std::string::npos);
  CHECK(out.find("SUMMARY:moved") != std::string::npos);
}

TEST_CASE("vCards: validation, collations, splitting") {
  const char* card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Élodie Ünal\r\nEMAIL;TYPE=work:e@x.test\r\nEND:VCARD\r\n";
  auto info = inspect_vcard(card);
  REQUIRE(info);
  CHECK(info->uid == "c1");
  CHECK(inspect_vcard("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nEND:VCARD\r\n").error().code == "vcard.no_uid");
  CHECK_FALSE(inspect_vcard("BEGIN:VCARD\r\nVERSION:2.1\r\nUID:a\r\nFN:x\r\nEND:VCARD\r\n"));
  addressbook_filter f;
  prop_filter fn{"FN"};
  fn.matches.push_back({"élodie", "i;unicode-casemap", "starts-with"});
  f.props.push_back(fn);
  CHECK(vcard_matches(card, f));
  f.props[0].matches[0].collation = "i;ascii-casemap";
  CHECK_FALSE(vcard_matches(card, f));
  f.props[0].matches[0] = {"E@X", "i;ascii-casemap", "equals"};
  f.props[0].name = "EMAIL";
  CHECK_FALSE(vcard_matches(card, f));
  f.props[0].matches[0].text = "E@X.TEST";
  CHECK(vcard_matches(card, f));
  CHECK(split_vcards(std::string(card) + card).size() == 2);
}

TEST_CASE("split_calendar groups overrides with their master and drops duplicates") {
  std::string exp = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:PUBLISH\r\n";
  std::string w(weekly);
  auto body = w.substr(w.find("BEGIN:VTIMEZONE"));
  body = body.substr(0, body.rfind("END:VCALENDAR"));
  exp += body;
  exp += "BEGIN:VEVENT\r\nUID:other\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20300101T000000Z\r\nEND:VEVENT\r\n";
  exp += "BEGIN:VEVENT\r\nUID:other\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20300101T000000Z\r\nEND:VEVENT\r\n";
  exp += "END:VCALENDAR\r\n";
  auto s = split_calendar(exp);
  REQUIRE(s.objects.size() == 2);
  CHECK(s.duplicates == 1);
  auto first = inspect(s.objects[0]);
  REQUIRE(first);
  CHECK(first->uid == "w1");
  CHECK(s.objects[0].find("METHOD") == std::string::npos);
  CHECK(s.objects[0].find("BEGIN:VTIMEZONE") != std::string::npos);
  CHECK(s.objects[1].find("BEGIN:VTIMEZONE") == std::string::npos);
  CHECK(inspect(s.objects[1]));
}

TEST_CASE("vCard 3.0 <-> 4.0 for address-data with a version (RFC 6352 §10.4)") {
  const std::string v3 =
      "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Anna Muster\r\nN:Muster;Anna;;;\r\n"
      "EMAIL;TYPE=INTERNET,HOME,pref:anna@example.org\r\nTEL;TYPE=CELL,VOICE:+41 79 000\r\n"
      "BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-12\r\nX-ANNIVERSARY:2001-06-30\r\nGEO:46.5;6.6\r\n"
      "PHOTO;ENCODING=b;TYPE=JPEG:AAAA\r\nitem1.URL:https://example.org\r\nNAME:ignored\r\nEND:VCARD\r\n";
  auto v4 = convert_vcard(v3, "4.0");
  CHECK(v4 ==
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:u1\r\nFN:Anna Muster\r\nN:Muster;Anna;;;\r\n"
        "EMAIL;TYPE=home;PREF=1:anna@example.org\r\nTEL;TYPE=cell:+41 79 000\r\n"
        "BDAY:--0412\r\nANNIVERSARY:20010630\r\nGEO:geo:46.5,6.6\r\n"
        "PHOTO:data:image/jpeg;base64,AAAA\r\nitem1.URL:https://example.org\r\nEND:VCARD\r\n");
  CHECK(inspect_vcard(v4).value().version == "4.0");
  // And back: what 3.0 clients read.
  auto back = convert_vcard(v4, "3.0");
  CHECK(back ==
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Anna Muster\r\nN:Muster;Anna;;;\r\n"
        "EMAIL;TYPE=home,pref:anna@example.org\r\nTEL;TYPE=cell:+41 79 000\r\n"
        "BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-12\r\nX-ANNIVERSARY:2001-06-30\r\nGEO:46.5;6.6\r\n"
        "PHOTO;ENCODING=b;TYPE=JPEG:AAAA\r\nitem1.URL:https://example.org\r\nEND:VCARD\r\n");
  // A 4.0 group without N becomes Apple's 3.0 group, with the N 3.0 requires.
  const std::string group =
      "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:g1\r\nKIND:group\r\nFN:Family\r\nMEMBER:urn:uuid:u1\r\nEND:VCARD\r\n";
  CHECK(convert_vcard(group, "3.0") ==
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:g1\r\nX-ADDRESSBOOKSERVER-KIND:group\r\nFN:Family\r\n"
        "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:u1\r\nN:Family;;;;\r\nEND:VCARD\r\n");
  CHECK(convert_vcard(convert_vcard(group, "3.0"), "4.0").find("KIND:group\r\n") != std::string::npos);
  // Same version, or not a card: unchanged. Long lines are folded at 75 octets.
  CHECK(convert_vcard(v3, "3.0") == v3);
  CHECK(convert_vcard("garbage", "4.0") == "garbage");
  std::string longnote = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u2\r\nFN:x\r\nN:x;;;;\r\nNOTE:" + std::string(200, 'n') + "\r\nEND:VCARD\r\n";
  auto folded = convert_vcard(longnote, "4.0");
  CHECK(folded.find("\r\n " + std::string(74, 'n')) != std::string::npos);
  auto expect = folded;
  expect.replace(expect.find("VERSION:4.0"), 11, "VERSION:3.0");
  CHECK(convert_vcard(folded, "3.0") == expect);
}

TEST_CASE("birthday events from BDAY and ANNIVERSARY") {
  auto ev = birthday_events("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Anna\\, the first\r\nN:A;;;;\r\n"
                            "BDAY:1985-04-30\r\nX-ANNIVERSARY:2010-12-31\r\nEND:VCARD\r\n");
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].suffix == "bday");
  CHECK(ev[0].ics ==
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hearth//Birthdays//EN\r\nBEGIN:VEVENT\r\nUID:c1-bday\r\n"
        "DTSTAMP:20000101T000000Z\r\nDTSTART;VALUE=DATE:19850430\r\nDTEND;VALUE=DATE:19850501\r\nRRULE:FREQ=YEARLY\r\n"
        "SUMMARY:Birthday: Anna\\, the first\r\nX-HEARTH-YEAR:1985\r\nTRANSP:TRANSPARENT\r\nCATEGORIES:Birthday\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n");
  CHECK(ev[1].ics.find("DTSTART;VALUE=DATE:20101231\r\nDTEND;VALUE=DATE:20110101\r\n") != std::string::npos);
  CHECK(inspect(ev[0].ics).has_value());
  // The event recurs: next year's date is in a time-range query.
  CHECK(!instances(ev[0].ics, 4112208000 /* 2100-04-22 */, 4113072000 /* 2100-05-02 */, 10).empty());
  // Without a year (4.0 and Apple's 3.0 form), 29 February, and no date at all.
  auto v4 = birthday_events("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c2\r\nFN:B\r\nBDAY:--0229\r\nEND:VCARD\r\n");
  REQUIRE(v4.size() == 1);
  CHECK(v4[0].ics.find("DTSTART;VALUE=DATE:20000229\r\nDTEND;VALUE=DATE:20000301\r\n"
                       "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1\r\n") != std::string::npos);
  CHECK(v4[0].ics.find("X-HEARTH-YEAR") == std::string::npos);
  auto apple = birthday_events("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c3\r\nFN:C\r\nN:C;;;;\r\n"
                               "BDAY;X-APPLE-OMIT-YEAR=1604:1604-07-01\r\nEND:VCARD\r\n");
  REQUIRE(apple.size() == 1);
  CHECK(apple[0].ics.find("DTSTART;VALUE=DATE:20000701\r\n") != std::string::npos);
  CHECK(birthday_events("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c4\r\nFN:D\r\nBDAY;VALUE=text:circa 1800\r\nEND:VCARD\r\n").empty());
  CHECK(birthday_events("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c5\r\nFN:E\r\nBDAY:19990231\r\nEND:VCARD\r\n").empty());
  CHECK(birthday_events("not a card").empty());
}

TEST_CASE("calendar and vCard data must be UTF-8 text without NUL") {
  CHECK(is_utf8_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x85 ascii"));
  CHECK(is_utf8_text(""));
  CHECK_FALSE(is_utf8_text("caf\xe9"));                 // Latin-1
  CHECK_FALSE(is_utf8_text(std::string("a\0b", 3)));    // NUL
  CHECK_FALSE(is_utf8_text("\xc0\xaf"));                // overlong '/'
  CHECK_FALSE(is_utf8_text("\xe0\x80\xaf"));            // overlong, 3 bytes
  CHECK_FALSE(is_utf8_text("\xed\xa0\x80"));            // a UTF-16 surrogate
  CHECK_FALSE(is_utf8_text("\xf4\x90\x80\x80"));        // past U+10FFFF
  CHECK_FALSE(is_utf8_text("\xe2\x82"));                // cut short
  CHECK_FALSE(is_utf8_text("\x80"));                    // a lone continuation byte

  std::string latin1 = weekly;
  latin1.replace(latin1.find("SUMMARY:weekly"), 14, "SUMMARY:caf\xe9");
  CHECK(inspect(latin1).error().code == "ical.syntax");
  std::string utf8 = weekly;
  utf8.replace(utf8.find("SUMMARY:weekly"), 14, "SUMMARY:caf\xc3\xa9");
  CHECK(inspect(utf8));
  CHECK(inspect_vcard("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\nFN:Jos\xc3\xa9\r\nEND:VCARD\r\n"));
  CHECK(inspect_vcard("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\nFN:Jos\xe9\r\nEND:VCARD\r\n").error().code == "vcard.invalid");
}
