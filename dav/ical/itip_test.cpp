#include <string>

#include "dav/ical/imip.hpp"
#include "dav/ical/itip.hpp"

using namespace hearth::dav::ical;

namespace {
// RFC 6638 Appendix B.1's shape: Cyrus invites Wilfredo and Bernard.
const std::string meeting =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example Corp.//CalDAV Client//EN\r\nBEGIN:VEVENT\r\n"
    "UID:9263504FD3AD\r\nSEQUENCE:0\r\nDTSTAMP:20090602T185254Z\r\nDTSTART:20090602T160000Z\r\n"
    "DTEND:20090602T170000Z\r\nTRANSP:OPAQUE\r\nSUMMARY:Lunch\r\n"
    "ORGANIZER;CN=\"Cyrus Daboo\":mailto:cyrus@example.com\r\n"
    "ATTENDEE;CN=\"Cyrus Daboo\";CUTYPE=INDIVIDUAL;PARTSTAT=ACCEPTED:mailto:cyrus@example.com\r\n"
    "ATTENDEE;CN=\"Wilfredo Sanchez Vega\";CUTYPE=INDIVIDUAL;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;"
    "RSVP=TRUE:mailto:Wilfredo@Example.com\r\n"
    "ATTENDEE;CN=\"Bernard Desruisseaux\";CUTYPE=INDIVIDUAL;PARTSTAT=NEEDS-ACTION;SCHEDULE-AGENT=CLIENT;"
    "ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:bernard@example.net\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n";
}  // namespace

TEST_CASE("cal_address keeps mailto: addresses only, in lower case") {
  CHECK(cal_address("mailto:Anna@Example.TEST") == "anna@example.test");
  CHECK(cal_address("MAILTO:b@x") == "b@x");
  CHECK(cal_address("urn:uuid:1234") == "");
  CHECK(cal_address("mailto:") == "");
}

TEST_CASE("scheduling_of finds the organizer, the attendees and their agents") {
  auto s = scheduling_of(meeting);
  REQUIRE(s);
  CHECK(s->uid == "9263504FD3AD");
  CHECK(s->organizer == "cyrus@example.com");
  REQUIRE(s->attendees.size() == 3);
  CHECK(s->attendees[1].address == "wilfredo@example.com");
  CHECK(s->attendees[1].partstat == "NEEDS-ACTION");
  CHECK(s->attendees[2].agent == "CLIENT");
  CHECK(s->summary == "Lunch");
  CHECK(!scheduling_of("garbage"));
}

TEST_CASE("more than max_attendees attendees is refused") {
  std::string big = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:big\r\nDTSTAMP:20300101T000000Z\r\n"
                    "DTSTART:20300101T100000Z\r\nORGANIZER:mailto:o@x.test\r\n";
  for (std::size_t i = 0; i <= max_attendees; ++i) big += "ATTENDEE:mailto:a" + std::to_string(i) + "@x.test\r\n";
  big += "END:VEVENT\r\nEND:VCALENDAR\r\n";
  auto s = scheduling_of(big);
  REQUIRE(!s);
  CHECK(s.error().code == "itip.too_many");
}

TEST_CASE("a REQUEST carries METHOD and no server-side parameters; a CANCEL raises SEQUENCE") {
  auto marked = with_schedule_status(meeting, {{"wilfredo@example.com", "1.2"}});
  CHECK(marked.find("SCHEDULE-STATUS=1.2") != std::string::npos);
  auto req = itip_request(marked);
  CHECK(req.find("METHOD:REQUEST") != std::string::npos);
  CHECK(req.find("SCHEDULE-STATUS") == std::string::npos);
  CHECK(req.find("SCHEDULE-AGENT") == std::string::npos);
  auto s = scheduling_of(req);
  REQUIRE(s);
  CHECK(s->method == "REQUEST");
  auto cancel = itip_cancel(meeting);
  auto c = scheduling_of(cancel);
  REQUIRE(c);
  CHECK(c->method == "CANCEL");
  CHECK(c->sequence == 1);
  CHECK(cancel.find("STATUS:CANCELLED") != std::string::npos);
}

TEST_CASE("a REPLY names only the replying attendee and applies to the organizer's copy") {
  auto accepted = meeting;
  auto pos = accepted.find("PARTSTAT=NEEDS-ACTION;ROLE");
  accepted.replace(pos, 21, "PARTSTAT=ACCEPTED");
  auto reply = itip_reply(accepted, "wilfredo@example.com");
  auto s = scheduling_of(reply);
  REQUIRE(s);
  CHECK(s->method == "REPLY");
  REQUIRE(s->attendees.size() == 1);
  CHECK(s->attendees[0].partstat == "ACCEPTED");

  auto updated = apply_reply(meeting, reply, "wilfredo@example.com");
  REQUIRE(updated);
  auto u = scheduling_of(*updated);
  REQUIRE(u);
  CHECK(u->attendees[1].partstat == "ACCEPTED");
  CHECK(u->attendees[2].partstat == "NEEDS-ACTION");
  // A reply does not change the Schedule-Tag; a new time does.
  CHECK(schedule_tag(*updated) == schedule_tag(meeting));
  auto moved = meeting;
  moved.replace(moved.find("DTSTART:20090602T160000Z"), 24, "DTSTART:20090602T150000Z");
  CHECK(schedule_tag(moved) != schedule_tag(meeting));
  // Someone not invited, or another UID: nothing applied.
  CHECK(!apply_reply(meeting, reply, "mallory@example.com"));
  auto other = reply;
  other.replace(other.find("UID:9263504FD3AD"), 16, "UID:something-else");
  CHECK(!apply_reply(meeting, other, "wilfredo@example.com"));
}

TEST_CASE("an attendee's copy keeps their answer across an update of the same SEQUENCE") {
  auto req = itip_request(meeting);
  auto first = attendee_copy(req, "", "wilfredo@example.com");
  CHECK(first.find("METHOD") == std::string::npos);
  auto answered = first;
  answered.replace(answered.find("PARTSTAT=NEEDS-ACTION"), 21, "PARTSTAT=DECLINED");
  auto again = attendee_copy(req, answered, "wilfredo@example.com");
  auto s = scheduling_of(again);
  REQUIRE(s);
  CHECK(s->attendees[1].partstat == "DECLINED");
}

TEST_CASE("free-busy requests and replies (RFC 6638 B.5)") {
  const char* req =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example Corp.//CalDAV Client//EN\r\nMETHOD:REQUEST\r\n"
      "BEGIN:VFREEBUSY\r\nUID:4FD3AD926350\r\nDTSTAMP:20090602T190420Z\r\nDTSTART:20090602T000000Z\r\n"
      "DTEND:20090604T000000Z\r\nORGANIZER;CN=\"Cyrus Daboo\":mailto:cyrus@example.com\r\n"
      "ATTENDEE;CN=\"Wilfredo Sanchez Vega\":mailto:wilfredo@example.com\r\n"
      "ATTENDEE;CN=\"Bernard Desruisseaux\":mailto:bernard@example.net\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n";
  auto r = parse_freebusy_request(req);
  REQUIRE(r);
  CHECK(r->organizer == "cyrus@example.com");
  REQUIRE(r->attendees.size() == 2);
  CHECK(r->attendees[1] == "bernard@example.net");
  CHECK(r->end - r->start == 2 * 86400);
  auto reply = freebusy_reply(*r, 0, {{r->start + 3600, r->start + 7200, "BUSY"}, {r->start + 5400, r->start + 9000, "BUSY"}});
  CHECK(reply.find("METHOD:REPLY") != std::string::npos);
  CHECK(reply.find("FREEBUSY:20090602T010000Z/20090602T023000Z") != std::string::npos);
  CHECK(reply.find("ATTENDEE:mailto:wilfredo@example.com") != std::string::npos);
  CHECK(!parse_freebusy_request(meeting));
}

TEST_CASE("an iMIP message has a readable part and the calendar with its method") {
  auto req = itip_request(meeting);
  auto info = scheduling_of(req);
  REQUIRE(info);
  auto m = imip_message("cyrus@example.com", {"bernard@example.net", "bad address@x", "evil>@x"}, *info, req);
  CHECK(m.find("From: cyrus@example.com\r\n") != std::string::npos);
  CHECK(m.find("To: bernard@example.net\r\n") != std::string::npos);  // the unsafe ones are left out
  CHECK(m.find("Subject: Invitation: Lunch\r\n") != std::string::npos);
  CHECK(m.find("multipart/alternative") != std::string::npos);
  CHECK(m.find("Content-Type: text/plain; charset=UTF-8") != std::string::npos);
  CHECK(m.find("Content-Type: text/calendar; charset=UTF-8; method=REQUEST") != std::string::npos);
  CHECK(m.find("Date:") == std::string::npos);  // the submission path adds it
}

TEST_CASE("check_imip applies only what the authenticated sender may say") {
  auto req = itip_request(meeting);
  CHECK(check_imip(req, "cyrus@example.com", true).ok);
  CHECK(!check_imip(req, "cyrus@example.com", false).ok);  // DMARC did not pass
  CHECK(!check_imip(req, "mallory@example.com", true).ok);  // not the organizer
  auto reply = itip_reply(meeting, "wilfredo@example.com");
  CHECK(check_imip(reply, "wilfredo@example.com", true).ok);
  auto spoof = check_imip(reply, "bernard@example.net", true);
  CHECK(!spoof.ok);
  CHECK(spoof.why == "the REPLY's attendee is not the sender");
  CHECK(!check_imip(meeting, "cyrus@example.com", true).ok);  // no METHOD
  CHECK(!check_imip(std::string(300 * 1024, 'x'), "cyrus@example.com", true).ok);
  auto latin1 = req;
  latin1.insert(latin1.find("END:VEVENT"), "LOCATION:caf\xe9\r\n");
  auto l1 = check_imip(latin1, "cyrus@example.com", true);
  CHECK(!l1.ok);
  CHECK(l1.why == "not UTF-8");
}

TEST_CASE("mentions_organizer is the cheap pre-test, in any case") {
  CHECK(mentions_organizer(meeting));
  CHECK(mentions_organizer("BEGIN:VEVENT\r\norganizer:mailto:a@b\r\n"));
  CHECK(!mentions_organizer("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"));
}

TEST_CASE("as_tentative marks an unanswered invitation, not an answered or cancelled one") {
  auto copy = attendee_copy(itip_request(meeting), "", "wilfredo@example.com");
  auto t = as_tentative(copy, "wilfredo@example.com");
  CHECK(t.find("STATUS;X-HEARTH-ORGANIZER-STATUS=NONE:TENTATIVE") != std::string::npos);
  // Cyrus accepted already: nothing to mark for him.
  CHECK(as_tentative(copy, "cyrus@example.com").find("TENTATIVE") == std::string::npos);
  auto confirmed = copy;
  confirmed.insert(confirmed.find("END:VEVENT"), "STATUS:CONFIRMED\r\n");
  auto t2 = as_tentative(confirmed, "wilfredo@example.com");
  CHECK(t2.find("STATUS;X-HEARTH-ORGANIZER-STATUS=CONFIRMED:TENTATIVE") != std::string::npos);
  CHECK(t2.find("STATUS:CONFIRMED") == std::string::npos);
  auto cancelled = copy;
  cancelled.insert(cancelled.find("END:VEVENT"), "STATUS:CANCELLED\r\n");
  CHECK(as_tentative(cancelled, "wilfredo@example.com").find("TENTATIVE") == std::string::npos);
  CHECK(as_tentative("garbage", "wilfredo@example.com") == "garbage");
  // The answer brings the organizer's STATUS back.
  auto accepted = with_partstat(t2, "wilfredo@example.com", "ACCEPTED");
  auto back = answered(accepted, "wilfredo@example.com");
  CHECK(back.find("STATUS:CONFIRMED") != std::string::npos);
  CHECK(back.find("TENTATIVE") == std::string::npos);
  auto none = answered(with_partstat(t, "wilfredo@example.com", "DECLINED"), "wilfredo@example.com");
  CHECK(none.find("STATUS:") == std::string::npos);
  // Not answered yet: still tentative.
  CHECK(answered(t, "wilfredo@example.com").find("STATUS") != std::string::npos);
  CHECK(answered(t, "wilfredo@example.com").find("TENTATIVE") != std::string::npos);
}
