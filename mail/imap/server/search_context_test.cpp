// RFC 5267 CONTEXT=SEARCH and CONTEXT=SORT: PARTIAL results and UPDATE contexts (ADDTO/REMOVEFROM, CANCELUPDATE),
// against a real store in a temporary folder; `other` is a second session changing the mailbox.
#include <catch2/catch.hpp>

#include "mail/imap/server/commands_test_util.hpp"
#include "mail/imap/server/search_context.hpp"

using namespace hearth;
using namespace hearth::mail::imap;
using namespace hearth::mail::imap::test;

namespace {

bool has(const std::string& out, const std::string& what) { return out.find(what) != std::string::npos; }

session_state five(fixture& f) {
  auto st = f.login();
  st.rev2 = true;  // no \Recent, ESEARCH answers
  for (int i = 0; i < 5; ++i) run(st, append_cmd("a" + std::to_string(i), "INBOX", simple));
  run(st, "s SELECT INBOX");
  return st;
}

}  // namespace

TEST_CASE("PARTIAL returns a window of the result list") {
  fixture f;
  auto st = five(f);
  // RFC 5267 §4.4: "PARTIAL ... returns only the [requested] range of results, in mailbox
  // order"; a window past the end holds what is there, or NIL.
  CHECK(run(st, "p1 UID SEARCH RETURN (PARTIAL 2:3) ALL") ==
        "* ESEARCH (TAG \"p1\") UID PARTIAL (2:3 2:3)\r\np1 OK UID SEARCH completed\r\n");
  CHECK(run(st, "p2 SEARCH RETURN (PARTIAL 4:10) ALL") ==
        "* ESEARCH (TAG \"p2\") PARTIAL (4:10 4:5)\r\np2 OK SEARCH completed\r\n");
  CHECK(run(st, "p3 SEARCH RETURN (PARTIAL 9:10) ALL") ==
        "* ESEARCH (TAG \"p3\") PARTIAL (9:10 NIL)\r\np3 OK SEARCH completed\r\n");
  CHECK(run(st, "p4 SEARCH RETURN (COUNT PARTIAL 1:1) ALL") ==
        "* ESEARCH (TAG \"p4\") COUNT 5 PARTIAL (1:1 1)\r\np4 OK SEARCH completed\r\n");
  // §5: partial-range = nz-number ":" nz-number.
  CHECK_FALSE(parse_command("p5 SEARCH RETURN (PARTIAL 0:3) ALL\r\n").cmd.has_value());
  CHECK(has(run(st, "c CAPABILITY"), " CONTEXT=SEARCH"));
}

TEST_CASE("UPDATE keeps a search current with ADDTO and REMOVEFROM") {
  fixture f;
  auto st = five(f);
  auto other = f.login();
  run(other, "s SELECT INBOX");
  run(other, "f STORE 1 +FLAGS (\\Seen)");
  run(st, "n0 NOOP");
  CHECK(run(st, "u1 UID SEARCH RETURN (UPDATE) UNSEEN") ==
        "* ESEARCH (TAG \"u1\") UID ALL 2:5\r\nu1 OK UID SEARCH completed\r\n");
  CHECK(run(st, "u2 SEARCH RETURN (UPDATE COUNT) UNSEEN") ==
        "* ESEARCH (TAG \"u2\") COUNT 4\r\nu2 OK SEARCH completed\r\n");
  // §4.3: "An attempt to use UPDATE where a tag is already in use ... SHALL result in the
  // server rejecting the searching command with a BAD response."
  CHECK(has(run(st, "u1 SEARCH RETURN (UPDATE) ALL"), "u1 BAD"));

  // §4.3.3: a new matching message is an ADDTO, "sent after the EXISTS notification".
  run(other, append_cmd("n", "INBOX", simple));
  auto out = run(st, "x1 NOOP");
  CHECK(out == "* 6 EXISTS\r\n* ESEARCH (TAG \"u1\") UID ADDTO (0 6)\r\n* ESEARCH (TAG \"u2\") ADDTO (0 6)\r\n"
               "x1 OK NOOP completed\r\n");
  // A message that stops matching is a REMOVEFROM.
  run(other, "f UID STORE 2 +FLAGS (\\Seen)");
  out = run(st, "x2 NOOP");
  CHECK(has(out, "* ESEARCH (TAG \"u1\") UID REMOVEFROM (0 2)\r\n"));
  CHECK(has(out, "* ESEARCH (TAG \"u2\") REMOVEFROM (0 2)\r\n"));
  // §4.3.4: for an expunge, "a REMOVEFROM ... MUST be sent prior to the expunge
  // notification itself", in the numbers the client still has.
  run(other, "f UID STORE 4 +FLAGS (\\Deleted)");
  run(other, "e EXPUNGE");
  out = run(st, "x3 NOOP");
  CHECK(has(out, "* ESEARCH (TAG \"u2\") REMOVEFROM (0 4)\r\n"));
  CHECK(out.find("REMOVEFROM (0 4)") < out.find("* 4 EXPUNGE"));
  CHECK(has(out, "* ESEARCH (TAG \"u1\") UID REMOVEFROM (0 4)\r\n"));
  // §4.3.5: CANCELUPDATE ends the updates.
  CHECK(run(st, "c1 CANCELUPDATE \"u1\" \"u2\"") == "c1 OK CANCELUPDATE completed\r\n");
  run(other, append_cmd("m", "INBOX", simple));
  out = run(st, "x4 NOOP");
  CHECK(has(out, " EXISTS"));
  CHECK_FALSE(has(out, "ESEARCH"));
  CHECK(has(run(st, "c2 CANCELUPDATE \"u1\""), "c2 BAD"));
}

TEST_CASE("UPDATE contexts are limited and end with the mailbox") {
  fixture f;
  auto st = five(f);
  for (std::size_t i = 0; i < max_search_contexts; ++i)
    run(st, "k" + std::to_string(i) + " SEARCH RETURN (UPDATE) ALL");
  // §4.3.1: refused "with a response-code of NOUPDATE", the other return options honoured.
  CHECK(run(st, "over SEARCH RETURN (UPDATE COUNT) ALL") ==
        "* NO [NOUPDATE \"over\"] Too many search contexts\r\n* ESEARCH (TAG \"over\") COUNT 5\r\nover OK SEARCH "
        "completed\r\n");
  // §4.3: "Updates will cease when the mailbox is no longer selected".
  run(st, "s SELECT INBOX");
  CHECK(st.sel->contexts.empty());
  CHECK(has(run(st, "k0 SEARCH RETURN (UPDATE) ALL"), "k0 OK"));
  // A SORT context counts against the same limit.
  for (std::size_t i = 1; i < max_search_contexts; ++i)
    run(st, "j" + std::to_string(i) + " SEARCH RETURN (UPDATE) ALL");
  CHECK(has(run(st, "so SORT RETURN (UPDATE) (DATE) UTF-8 ALL"), "* NO [NOUPDATE \"so\"]"));
}

namespace {

std::string with_subject(const std::string& subject) {
  auto m = simple;
  m.replace(m.find("Subject: Hello"), 14, "Subject: " + subject);
  return m;
}

// Five messages whose subjects sort as uid 3, 5, 2, 4, 1.
session_state five_subjects(fixture& f) {
  auto st = f.login();
  st.rev2 = true;
  for (const char* s : {"e", "c", "a", "d", "b"}) run(st, append_cmd("a", "INBOX", with_subject(s)));
  run(st, "s SELECT INBOX");
  return st;
}

}  // namespace

TEST_CASE("CONTEXT=SORT: PARTIAL and UPDATE in sort order") {
  fixture f;
  auto st = five_subjects(f);
  CHECK(has(run(st, "c CAPABILITY"), " CONTEXT=SORT"));
  // RFC 5267 §4.4: PARTIAL "in the requested order", which for SORT is the sort order.
  CHECK(run(st, "p1 UID SORT RETURN (PARTIAL 2:3) (SUBJECT) UTF-8 ALL") ==
        "* ESEARCH (TAG \"p1\") UID PARTIAL (2:3 5,2)\r\np1 OK UID SORT completed\r\n");
  CHECK(run(st, "p2 SORT RETURN (COUNT PARTIAL 5:9) (REVERSE SUBJECT) UTF-8 ALL") ==
        "* ESEARCH (TAG \"p2\") COUNT 5 PARTIAL (5:9 3)\r\np2 OK SORT completed\r\n");

  auto other = f.login();
  run(other, "s SELECT INBOX");
  CHECK(run(st, "u1 UID SORT RETURN (UPDATE) (SUBJECT) UTF-8 UNSEEN") ==
        "* ESEARCH (TAG \"u1\") UID ALL 3,5,2,4,1\r\nu1 OK UID SORT completed\r\n");
  CHECK(has(run(st, "u1 UID SORT RETURN (UPDATE) (SUBJECT) UTF-8 ALL"), "u1 BAD"));  // §4.3 tag reuse
  // §4.3.4: REMOVEFROM pairs, each "processed in the order that it appears": 5 and 2 leave
  // from position 2 ([3 5 2 4 1] -> [3 4 1]), then 1 from position 3 (-> [3 4]).
  run(other, "f UID STORE 5,2,1 +FLAGS (\\Seen)");
  CHECK(run(st, "x1 NOOP") ==
        "* ESEARCH (TAG \"u1\") UID REMOVEFROM (2 5,2 3 1)\r\n* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n"
        "* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n* 5 FETCH (UID 5 FLAGS (\\Seen))\r\nx1 OK NOOP completed\r\n");
  // §4.3.3: ADDTO "inserted at the context position, meaning that the first result in the
  // set will occupy the new context position": "bb" goes in at 2 ([3 6 4]), "f" at 4.
  run(other, append_cmd("n", "INBOX", with_subject("bb")));
  run(other, append_cmd("n", "INBOX", with_subject("f")));
  CHECK(run(st, "x2 NOOP") ==
        "* 7 EXISTS\r\n* ESEARCH (TAG \"u1\") UID ADDTO (2 6 4 7)\r\nx2 OK NOOP completed\r\n");
  // Both at once: d (UID 4) leaves position 3 of [3 6 4 7], then a new "c" (UID 8) takes it.
  run(other, "f UID STORE 4 +FLAGS (\\Seen)");
  run(other, append_cmd("n", "INBOX", with_subject("c")));
  auto out = run(st, "x3 NOOP");
  const auto removed = out.find("* ESEARCH (TAG \"u1\") UID REMOVEFROM (3 4)\r\n");
  const auto added = out.find("* ESEARCH (TAG \"u1\") UID ADDTO (3 8)\r\n");
  const auto exists = out.find("* 8 EXISTS\r\n");
  CHECK(removed == 0);
  REQUIRE(exists != std::string::npos);
  CHECK((added != std::string::npos && added > exists));
  // The context now agrees with a fresh SORT.
  CHECK(run(st, "v UID SORT RETURN (ALL) (SUBJECT) UTF-8 UNSEEN") ==
        "* ESEARCH (TAG \"v\") UID ALL 3,6,8,7\r\nv OK UID SORT completed\r\n");
}

TEST_CASE("CONTEXT=SORT: sequence-number contexts around an expunge") {
  fixture f;
  auto st = five_subjects(f);
  auto other = f.login();
  run(other, "s SELECT INBOX");
  // Reverse subject order: e d c b a = seq 1 4 2 5 3.
  CHECK(run(st, "r1 SORT RETURN (UPDATE MIN MAX) (REVERSE SUBJECT) UTF-8 ALL") ==
        "* ESEARCH (TAG \"r1\") MIN 1 MAX 3\r\nr1 OK SORT completed\r\n");
  // §4.3.4: the REMOVEFROM "MUST be sent prior to the expunge notification itself", in the
  // numbers the client has: message 2 ("c") sits at position 3.
  run(other, "f STORE 2 +FLAGS (\\Deleted)");
  run(other, "e EXPUNGE");
  auto out = run(st, "x1 NOOP");
  CHECK(out == "* ESEARCH (TAG \"r1\") REMOVEFROM (3 2)\r\n* 2 EXPUNGE\r\nx1 OK NOOP completed\r\n");
  // A new "cc" (now sequence number 5) sorts between "d" and "b": position 3 of [1 3 4 2].
  run(other, append_cmd("n", "INBOX", with_subject("cc")));
  CHECK(run(st, "x2 NOOP") ==
        "* 5 EXISTS\r\n* ESEARCH (TAG \"r1\") ADDTO (3 5)\r\nx2 OK NOOP completed\r\n");
  CHECK(run(st, "c1 CANCELUPDATE \"r1\"") == "c1 OK CANCELUPDATE completed\r\n");
  run(other, append_cmd("n", "INBOX", with_subject("z")));
  CHECK_FALSE(has(run(st, "x3 NOOP"), "ESEARCH"));
}
