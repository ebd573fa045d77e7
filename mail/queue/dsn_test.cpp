#include "mail/queue/dsn.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::queue;

namespace {
bool has(const std::string& s, std::string_view what) { return s.find(what) != std::string::npos; }
}  // namespace

TEST_CASE("DSN: failure report per RFC 3464", "[queue][dsn]") {
  dsn_input in;
  in.reporting_mta = "mail.a.test";
  in.to = "alice@a.test";
  in.queue_id = "ABC123";
  in.envid = "env+2Bid";
  in.arrival = 1'800'000'000;
  in.now = 1'800'000'100;
  in.full = true;
  in.rcpts.push_back({"bob@b.test", "rfc822;Bob+2Bx@b.test", "failed", "5.1.1", "mx.b.test", "550 5.1.1 no such user", "", in.now});
  const std::string original = "From: alice@a.test\r\nSubject: hi\r\n\r\nbody line\r\n";
  in.original = original;
  auto m = build_dsn(in);
  CHECK(has(m, "From: Mail Delivery System <MAILER-DAEMON@mail.a.test>\r\n"));
  CHECK(has(m, "To: <alice@a.test>\r\n"));
  CHECK(has(m, "Auto-Submitted: auto-replied\r\n"));
  CHECK(has(m, "Content-Type: multipart/report; report-type=delivery-status;"));
  CHECK(has(m, "Content-Type: message/delivery-status\r\n"));
  CHECK(has(m, "Reporting-MTA: dns; mail.a.test\r\n"));
  CHECK(has(m, "Original-Envelope-Id: env+id\r\n"));
  CHECK(has(m, "Original-Recipient: rfc822;Bob+x@b.test\r\n"));
  CHECK(has(m, "Final-Recipient: rfc822; bob@b.test\r\n"));
  CHECK(has(m, "Action: failed\r\n"));
  CHECK(has(m, "Status: 5.1.1\r\n"));
  CHECK(has(m, "Remote-MTA: dns; mx.b.test\r\n"));
  CHECK(has(m, "Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"));
  CHECK(has(m, "Content-Type: message/rfc822\r\n"));
  CHECK(has(m, "Undelivered Message\r\n\r\nFrom: alice@a.test\r\nSubject: hi\r\n\r\nbody line\r\n"));
  CHECK(has(m, "Date: "));
  // The boundary closes the report, and no bare LF anywhere.
  CHECK(has(m, "--=_hearth_dsn_ABC123_1800000100--\r\n"));
  for (std::size_t i = 0; i < m.size(); ++i)
    if (m[i] == '\n') REQUIRE((i > 0 && m[i - 1] == '\r'));
  // The frame a large original is streamed into gives the very same DSN around it.
  auto f = build_dsn_frame(in);
  CHECK(f.before + original + f.after == m);
}

TEST_CASE("DSN: headers only, delay warning, hostile reply text", "[queue][dsn]") {
  dsn_input in;
  in.reporting_mta = "mail.a.test";
  in.to = "alice@a.test";
  in.queue_id = "Q";
  in.arrival = 1000;
  in.now = 2000;
  in.retry_until = 5000;
  in.delayed = true;
  in.rcpts.push_back({"bob@b.test", "", "delayed", "4.4.1", "", "451 4.4.1 x\r\nInjected: yes", "", 2000});
  const std::string original = "Subject: hi\nX: y\n\nsecret body\n";
  in.original = original;
  auto m = build_dsn(in);
  CHECK(has(m, "Subject: Delayed Mail"));
  CHECK(has(m, "Action: delayed\r\n"));
  CHECK(has(m, "Will-Retry-Until: "));
  CHECK(has(m, "Content-Type: text/rfc822-headers\r\n"));
  CHECK(has(m, "Subject: hi\r\nX: y\r\n"));
  CHECK_FALSE(has(m, "secret body"));
  CHECK_FALSE(has(m, "\r\nInjected: yes"));
  CHECK_FALSE(has(m, "Original-Recipient"));
  CHECK(rfc5322_date(0) == "Thu, 01 Jan 1970 00:00:00 +0000");
  CHECK(header_section("a: b\r\n\r\nbody") == "a: b\r\n\r\n");
  CHECK(header_section("no body") == "no body");
}

TEST_CASE("DSN: success report for NOTIFY=SUCCESS", "[queue][dsn]") {
  dsn_input in;
  in.reporting_mta = "mail.a.test";
  in.to = "alice@a.test";
  in.queue_id = "S";
  in.arrival = 1000;
  in.now = 1001;
  in.success = true;
  in.rcpts.push_back({"bob@a.test", "", "delivered", "2.0.0", "", "", "", 1001});
  const std::string original = "Subject: hi\r\n\r\nbody\r\n";
  in.original = original;
  auto m = build_dsn(in);
  CHECK(has(m, "Subject: Successful Mail Delivery Report\r\n"));
  CHECK(has(m, "Action: delivered\r\n"));
  CHECK(has(m, "Status: 2.0.0\r\n"));
  CHECK(has(m, "Content-Type: text/rfc822-headers\r\n"));
  CHECK_FALSE(has(m, "body\r\n"));
}
