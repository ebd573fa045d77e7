#include "mail/sieve_delivery/rules.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::sieve_delivery;

namespace {
const std::vector<std::string> me = {"bob@home.test"};
std::string msg(std::string extra) {
  return "From: Carol <carol@x.test>\r\nTo: Bob <bob@home.test>\r\nSubject: hi\r\n" + extra + "\r\nbody\r\n";
}
}  // namespace

TEST_CASE("vacation: RFC 3834 and RFC 5230 refusals") {
  CHECK(!vacation_refused(msg(""), "carol@x.test", me));
  CHECK(vacation_refused(msg(""), "", me));  // null sender
  CHECK(vacation_refused(msg(""), "MAILER-DAEMON@x.test", me));
  CHECK(vacation_refused(msg(""), "noreply@x.test", me));
  CHECK(vacation_refused(msg(""), "no-reply@x.test", me));
  CHECK(vacation_refused(msg(""), "owner-list@x.test", me));
  CHECK(vacation_refused(msg(""), "list-request@x.test", me));
  CHECK(vacation_refused(msg("Auto-Submitted: auto-replied\r\n"), "carol@x.test", me));
  CHECK(!vacation_refused(msg("Auto-Submitted: no\r\n"), "carol@x.test", me));
  CHECK(vacation_refused(msg("Precedence: bulk\r\n"), "carol@x.test", me));
  CHECK(vacation_refused(msg("List-Id: <l.x.test>\r\n"), "carol@x.test", me));
  // Not named in To/Cc (a Bcc or an alias the user did not list).
  CHECK(vacation_refused(msg(""), "carol@x.test", {"other@home.test"}));
  CHECK(!vacation_refused("From: c@x.test\r\nTo: a@y.test\r\nCc: BOB@home.test\r\n\r\nb\r\n", "c@x.test", me));
}

TEST_CASE("vacation reply and refusal headers") {
  auto r = vacation_reply({"bob@home.test", "carol@x.test", "Re: caf\xc3\xa9", "away\nback soon", false, "<1@x.test>",
                           "mail.home.test"});
  CHECK(r.find("Auto-Submitted: auto-replied") != std::string::npos);
  CHECK(r.find("In-Reply-To: <1@x.test>\r\nReferences: <1@x.test>\r\n") != std::string::npos);
  CHECK(r.find("Subject: =?UTF-8?B?") != std::string::npos);
  CHECK(r.find("away\r\nback soon\r\n") != std::string::npos);
  auto inj = vacation_reply({"bob@home.test", "carol@x.test", "a\r\nBcc: evil@x.test", "b", false, "", "h"});
  CHECK(inj.find("\r\nBcc:") == std::string::npos);  // no header injection from a script
  auto mdn = refusal_mdn(msg("Message-ID: <9@x.test>\r\n"), "bob@home.test", "carol@x.test", "no", "mail.home.test");
  CHECK(mdn.find("report-type=disposition-notification") != std::string::npos);
  CHECK(mdn.find("Disposition: automatic-action/MDN-sent-automatically; deleted") != std::string::npos);
  CHECK(mdn.find("Original-Message-ID: <9@x.test>") != std::string::npos);
}

TEST_CASE("notify URIs, redirect marker, spam scores") {
  auto t = parse_mailto("mailto:a@x.test,b@y.test?subject=New%20mail&body=hi");
  REQUIRE(t);
  CHECK(t->to == std::vector<std::string>{"a@x.test", "b@y.test"});
  CHECK(t->subject == "New mail");
  CHECK(!parse_mailto("mailto:"));
  CHECK(!parse_mailto("mailto:a@x.test%0d%0aBcc:%20e@x.test"));
  CHECK(parse_xmpp_uri("xmpp:Bob@Home.test?message") == "bob@home.test");
  CHECK(parse_xmpp_uri("xmpp:bob@home.test/phone") == "bob@home.test");
  CHECK(!parse_xmpp_uri("xmpp://a@b/c@d"));
  CHECK(!parse_xmpp_uri("mailto:a@b"));
  CHECK(redirected_by("X-Hearth-Redirected-By: mail.home.test\r\nSubject: x\r\n\r\n", "mail.home.test"));
  CHECK(!redirected_by("X-Hearth-Redirected-By: other.test\r\nSubject: x\r\n\r\n", "mail.home.test"));
  CHECK(spam_from_headers("Subject: x\r\n\r\n", 5).score == 0);
  CHECK(spam_from_headers("X-Spam-Score: 0\r\n\r\n", 5).score == 1);
  CHECK(spam_from_headers("X-Spam-Score: 5\r\n\r\n", 5).score == 6);
  CHECK(spam_from_headers("X-Spam-Score: 50\r\n\r\n", 5).score == 10);
  CHECK(*spam_from_headers("X-Spam-Score: 10\r\n\r\n", 5).percent == 100);
}
