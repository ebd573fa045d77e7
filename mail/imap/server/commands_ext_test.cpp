// Handler tests of the IMAP extensions (SORT, THREAD, STATUS=SIZE, OBJECTID, SAVEDATE, PREVIEW,
// \Recent, ESORT, METADATA, CATENATE), as in commands_test.cpp: IMAP text in, responses out, against a
// real store in a temporary folder.
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <cstdio>
#include <ctime>

#include "core/blob/store.hpp"
#include "core/sql/sql.hpp"
#include "mail/imap/proto/parser.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/commands_test_util.hpp"
#include "mail/imap/server/deflate.hpp"
#include "mail/imap/server/search.hpp"

using namespace hearth;
using namespace hearth::mail::imap;

using namespace hearth::mail::imap::test;

namespace {
// A header-only message for SORT/THREAD tests; empty fields are left out.
std::string sort_msg(const std::string& from, const std::string& to, const std::string& cc,
                     const std::string& subject, const std::string& date) {
  std::string m;
  if (!from.empty()) m += "From: " + from + "\r\n";
  if (!to.empty()) m += "To: " + to + "\r\n";
  if (!cc.empty()) m += "Cc: " + cc + "\r\n";
  if (!subject.empty()) m += "Subject: " + subject + "\r\n";
  if (!date.empty()) m += "Date: " + date + "\r\n";
  return m + "\r\nx\r\n";
}

session_state sorted_box(fixture& f, const std::vector<std::string>& msgs) {
  auto st = f.login();
  for (std::size_t i = 0; i < msgs.size(); ++i) run(st, append_cmd("a" + std::to_string(i), "INBOX", msgs[i]));
  run(st, "s SELECT INBOX");
  return st;
}
}  // namespace

TEST_CASE("SORT FROM/TO/CC: the first address's mailbox, case-insensitive", "[imap][sort]") {
  fixture f;
  const std::string d = "Sun, 22 Nov 2026 10:00:00 +0000";
  auto st = sorted_box(f, {
      sort_msg("Zed <bob@a.test>", "Carl <x@a.test>", "dora@z.test", "s", d),        // 1
      sort_msg("Adam <carol@a.test>", "bea@z.test", "", "s", d),                        // 2
      sort_msg("amy@z.test", "Abe <yuri@a.test>, aaron@b.test", "Al <c@b.test>", "s", d),  // 3
      sort_msg("Bob@a.test", "", "Zoe <B@z.test>", "s", d),                             // 4
      sort_msg("\"Aaa\" <amy@a.test>", "undisclosed:;", "", "s", d),                    // 5
  });
  // RFC 5256 §3: FROM is the [IMAP] addr-mailbox of the first From address; the display
  // name and the host take no part, equal keys fall back to the sequence number.
  CHECK(run(st, "a SORT (FROM) UTF-8 ALL") == "* SORT 3 5 1 4 2\r\na OK SORT completed\r\n");
  // A missing field sorts as the empty string, first. A group's first address is its
  // start-of-group marker, whose addr-mailbox holds the group name (RFC 3501 §7.4.2).
  CHECK(run(st, "b SORT (TO) UTF-8 ALL") == "* SORT 4 2 5 1 3\r\nb OK SORT completed\r\n");
  CHECK(run(st, "c SORT (CC) UTF-8 ALL") == "* SORT 2 5 4 3 1\r\nc OK SORT completed\r\n");
  CHECK(run(st, "d SORT (REVERSE FROM) UTF-8 ALL") == "* SORT 2 1 4 3 5\r\nd OK SORT completed\r\n");
}

TEST_CASE("SORT SUBJECT uses the base subject; REVERSE binds to one key", "[imap][sort]") {
  fixture f;
  auto st = sorted_box(f, {
      sort_msg("b@x.test", "", "", "Re: [list] Beta", "Mon, 23 Nov 2026 10:00:00 +0000"),  // 1
      sort_msg("a@x.test", "", "", "alpha (fwd)", "Sun, 22 Nov 2026 10:00:00 +0000"),      // 2
      sort_msg("c@x.test", "", "", "[fwd: FW: Alpha]", "Tue, 24 Nov 2026 10:00:00 +0000"), // 3
      sort_msg("a@x.test", "", "", "beta", "Sun, 22 Nov 2026 10:00:00 +0000"),             // 4
      sort_msg("c@x.test", "", "", "Re: Re:  ALPHA", "Sun, 22 Nov 2026 10:00:00 +0000"),   // 5
  });
  // RFC 5256 §2.1: "Re: [list] Beta" and "beta" share the base subject "beta"; "alpha (fwd)",
  // "[fwd: FW: Alpha]" and "Re: Re:  ALPHA" share "alpha". Ties by sequence number (§3).
  CHECK(run(st, "a SORT (SUBJECT) UTF-8 ALL") == "* SORT 2 3 5 1 4\r\na OK SORT completed\r\n");
  CHECK(run(st, "b SORT (REVERSE SUBJECT) UTF-8 ALL") == "* SORT 1 4 2 3 5\r\nb OK SORT completed\r\n");
  // RFC 5256 §3: REVERSE reverses only the key that follows it.
  CHECK(run(st, "c SORT (SUBJECT REVERSE DATE) UTF-8 ALL") == "* SORT 3 2 5 1 4\r\nc OK SORT completed\r\n");
  CHECK(run(st, "d SORT (REVERSE SUBJECT DATE) UTF-8 ALL") == "* SORT 4 1 2 5 3\r\nd OK SORT completed\r\n");
  CHECK(run(st, "e SORT (REVERSE SUBJECT REVERSE FROM) UTF-8 ALL") ==
        "* SORT 1 4 3 5 2\r\ne OK SORT completed\r\n");
}

TEST_CASE("SORT DISPLAYFROM/DISPLAYTO (RFC 5957)", "[imap][sort]") {
  fixture f;
  const std::string d = "Sun, 22 Nov 2026 10:00:00 +0000";
  auto st = sorted_box(f, {
      sort_msg("Zed <aaa@a.test>", "\"\" <zz@a.test>", "", "s", d),             // 1
      sort_msg("=?utf-8?q?Carl?= <zzz@a.test>", "beth <b@a.test>", "", "s", d),  // 2
      sort_msg("bob@z.test", "Adam <zz@z.test>", "", "s", d),                    // 3
      sort_msg("bob@a.test", "", "", "s", d),                                    // 4
      sort_msg("ALICE <x@x.test>", "CARL <c@a.test>", "", "s", d),               // 5
  });
  auto caps = run(st, "c CAPABILITY");
  CHECK(caps.find(" SORT=DISPLAY") != std::string::npos);
  // RFC 5957 §3: the RFC 2047-decoded display name, else the addr-spec ("bob@a.test"),
  // compared case-insensitively; ties by sequence number.
  CHECK(run(st, "a SORT (DISPLAYFROM) UTF-8 ALL") == "* SORT 5 4 3 2 1\r\na OK SORT completed\r\n");
  // An empty display name is no display name: "zz@a.test" is used; no To sorts first.
  CHECK(run(st, "b SORT (DISPLAYTO) UTF-8 ALL") == "* SORT 4 3 2 5 1\r\nb OK SORT completed\r\n");
  CHECK(run(st, "e SORT (REVERSE DISPLAYTO) UTF-8 ALL") == "* SORT 1 5 2 3 4\r\ne OK SORT completed\r\n");
}

TEST_CASE("THREAD=ORDEREDSUBJECT: threads and messages by sent date", "[imap][thread]") {
  fixture f;
  auto st = sorted_box(f, {
      sort_msg("a@x.test", "", "", "Zeta", "Wed, 25 Nov 2026 10:00:00 +0000"),          // 1
      sort_msg("a@x.test", "", "", "Re: alpha", "Tue, 24 Nov 2026 10:00:00 +0000"),     // 2
      sort_msg("a@x.test", "", "", "alpha", "Mon, 23 Nov 2026 10:00:00 +0000"),         // 3
      sort_msg("a@x.test", "", "", "Re: zeta", "Sun, 22 Nov 2026 10:00:00 +0000"),      // 4
      sort_msg("a@x.test", "", "", "aardvark", "Mon, 23 Nov 2026 12:00:00 +0200"),      // 5
      sort_msg("a@x.test", "", "", "Fwd: zeta", "Thu, 26 Nov 2026 10:00:00 +0000"),     // 6
      sort_msg("a@x.test", "", "", "Re: alpha", "Tue, 24 Nov 2026 10:00:00 +0000"),     // 7
  });
  // RFC 5256 §3 ORDEREDSUBJECT: messages grouped by base subject and sorted by sent date
  // within each group (ties by sequence number); the threads ordered by the sent date of
  // their first message. 5 was sent at 10:00 UTC on the 23rd, the same instant as 3: equal
  // keys go by sequence number (§3), so the alpha thread (3) comes before aardvark (5).
  CHECK(run(st, "a THREAD ORDEREDSUBJECT UTF-8 ALL") ==
        "* THREAD (4 (1)(6))(3 (2)(7))(5)\r\na OK THREAD completed\r\n");
  CHECK(run(st, "b UID THREAD ORDEREDSUBJECT UTF-8 SUBJECT alpha") ==
        "* THREAD (3 (2)(7))\r\nb OK UID THREAD completed\r\n");
}

// RFC 8438 §3: with STATUS=SIZE advertised, STATUS SIZE is the total octets of the mailbox's
// messages (the sum of their RFC822.SIZE), also inside LIST RETURN (STATUS ...) (§4).
TEST_CASE("STATUS=SIZE", "[imap]") {
  fixture f;
  auto st = f.login();
  CHECK(run(st, "c CAPABILITY").find(" STATUS=SIZE") != std::string::npos);
  CHECK(run(st, "s0 STATUS INBOX (SIZE)") == "* STATUS INBOX (SIZE 0)\r\ns0 OK STATUS completed\r\n");
  run(st, append_cmd("a1", "INBOX", simple));
  run(st, append_cmd("a2", "INBOX", multipart));
  const auto total = std::to_string(simple.size() + multipart.size());
  CHECK(run(st, "s1 STATUS INBOX (MESSAGES SIZE)") ==
        "* STATUS INBOX (MESSAGES 2 SIZE " + total + ")\r\ns1 OK STATUS completed\r\n");
  CHECK(run(st, "l LIST \"\" INBOX RETURN (STATUS (SIZE))") ==
        "* LIST (\\HasNoChildren) \"/\" INBOX\r\n* STATUS INBOX (SIZE " + total + ")\r\nl OK LIST completed\r\n");
  CHECK(run(st, "b STATUS INBOX (SIZES)") == "b BAD Unknown STATUS item SIZES\r\n");
}

namespace {
// The objectid inside "[MAILBOXID (id)]" or "MAILBOXID (id)"; "" when absent.
std::string mailboxid_in(const std::string& out) {
  auto p = out.find("MAILBOXID (");
  if (p == std::string::npos) return "";
  p += 11;
  return out.substr(p, out.find(')', p) - p);
}
// RFC 8474 §7: objectid = 1*255(ALPHA / DIGIT / "_" / "-")
bool is_objectid(const std::string& id) {
  if (id.empty() || id.size() > 255) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  return true;
}
}  // namespace

// RFC 8474 §4: MAILBOXID in CREATE's tagged OK (§4.1), SELECT/EXAMINE (§4.2) and STATUS (§4.3);
// it survives RENAME and a deleted mailbox's id is not given to a new one of the same name.
TEST_CASE("OBJECTID: MAILBOXID", "[imap]") {
  fixture f;
  auto st = f.login();
  CHECK(run(st, "c CAPABILITY").find(" OBJECTID") != std::string::npos);
  auto created = run(st, "c1 CREATE Projects");
  const auto id = mailboxid_in(created);
  REQUIRE(is_objectid(id));
  CHECK(created == "c1 OK [MAILBOXID (" + id + ")] CREATE completed\r\n");
  CHECK(run(st, "s1 STATUS Projects (MAILBOXID MESSAGES)") ==
        "* STATUS \"Projects\" (MAILBOXID (" + id + ") MESSAGES 0)\r\ns1 OK STATUS completed\r\n");
  CHECK(run(st, "r RENAME Projects Work").starts_with("r OK"));
  CHECK(run(st, "s2 STATUS Work (MAILBOXID)") == "* STATUS \"Work\" (MAILBOXID (" + id + "))\r\ns2 OK STATUS completed\r\n");
  CHECK(run(st, "e EXAMINE Work").find("* OK [MAILBOXID (" + id + ")] Ok\r\n") != std::string::npos);
  const auto inbox = mailboxid_in(run(st, "s3 SELECT INBOX"));
  CHECK(is_objectid(inbox));
  CHECK(inbox != id);
  CHECK(run(st, "d DELETE Work") == "d OK DELETE completed\r\n");
  const auto again = mailboxid_in(run(st, "c2 CREATE Work"));
  CHECK(is_objectid(again));
  CHECK(again != id);
  CHECK(run(st, "l LIST \"\" Work RETURN (STATUS (MAILBOXID))").find("* STATUS \"Work\" (MAILBOXID (" + again + "))\r\n") !=
        std::string::npos);
}

// RFC 8474 §5: FETCH EMAILID and THREADID; §5.1: EMAILID names the content, so a COPY or MOVE
// keeps it; §5.2: THREADID NIL when the server has no thread ids; §6: SEARCH EMAILID/THREADID.
TEST_CASE("OBJECTID: EMAILID and THREADID", "[imap]") {
  fixture f;
  auto st = f.login();
  run(st, append_cmd("a1", "INBOX", simple));
  run(st, append_cmd("a2", "INBOX", multipart));
  run(st, "s SELECT INBOX");
  // "M" and the first 128 bits of the SHA-256 of the message's bytes.
  const std::string eid = "M64cfdea2d1a554d39a2ea229b70e2119";
  CHECK(run(st, "f1 FETCH 1 (EMAILID THREADID)") ==
        "* 1 FETCH (EMAILID (" + eid + ") THREADID NIL)\r\nf1 OK FETCH completed\r\n");
  CHECK(run(st, "f2 UID FETCH 1 EMAILID") == "* 1 FETCH (EMAILID (" + eid + ") UID 1)\r\nf2 OK UID FETCH completed\r\n");
  CHECK(run(st, "k1 SEARCH EMAILID " + eid) == "* SEARCH 1\r\nk1 OK SEARCH completed\r\n");
  CHECK(run(st, "k2 SEARCH EMAILID Mnope") == "* SEARCH\r\nk2 OK SEARCH completed\r\n");
  CHECK(run(st, "k3 SEARCH THREADID T1") == "* SEARCH\r\nk3 OK SEARCH completed\r\n");
  CHECK(run(st, "k4 SEARCH NOT EMAILID " + eid) == "* SEARCH 2\r\nk4 OK SEARCH completed\r\n");
  CHECK(run(st, "c COPY 1 Archive").starts_with("c OK"));
  CHECK(run(st, "m MOVE 1 Trash").starts_with("* OK [COPYUID"));
  run(st, "s2 SELECT Archive");
  CHECK(run(st, "f3 FETCH 1 EMAILID") == "* 1 FETCH (EMAILID (" + eid + "))\r\nf3 OK FETCH completed\r\n");
  run(st, "s3 SELECT Trash");
  CHECK(run(st, "f4 FETCH 1 EMAILID") == "* 1 FETCH (EMAILID (" + eid + "))\r\nf4 OK FETCH completed\r\n");
}

namespace {
// "6-Dec-2026" (RFC 9051 date) and "06-Dec-2026" (the day part of date-time) for Unix time t, UTC.
std::string imap_day(std::time_t t, bool two_digit_day) {
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, two_digit_day ? "%02d-%s-%04d" : "%d-%s-%04d", tm.tm_mday, months[tm.tm_mon],
                tm.tm_year + 1900);
  return buf;
}
}  // namespace

// RFC 8514: the save date is when the message was put in its current mailbox (APPEND, COPY,
// MOVE), not the internal date the APPEND gave; FETCH SAVEDATE (§5) and SEARCH SAVEDBEFORE/
// SAVEDON/SAVEDSINCE/SAVEDATESUPPORTED (§4.3).
TEST_CASE("SAVEDATE", "[imap]") {
  fixture f;
  auto st = f.login();
  CHECK(run(st, "c CAPABILITY").find(" SAVEDATE") != std::string::npos);
  const std::string old = "\"01-Jan-2020 10:00:00 +0000\"";
  CHECK(run(st, "a1 APPEND INBOX " + old + " {" + std::to_string(simple.size()) + "+}\r\n" + simple).starts_with("a1 OK"));
  const auto now = std::time(nullptr);
  // Run just before midnight UTC the day may roll over between the APPEND and here: accept both.
  const auto today = imap_day(now, false), today2 = imap_day(now, true);
  run(st, "s SELECT INBOX");
  auto fd = run(st, "f1 FETCH 1 (INTERNALDATE SAVEDATE)");
  CHECK(fd.starts_with("* 1 FETCH (INTERNALDATE \"01-Jan-2020 10:00:00 +0000\" SAVEDATE \"" + today2 + " "));
  CHECK(fd.ends_with(" +0000\")\r\nf1 OK FETCH completed\r\n"));
  CHECK(run(st, "k1 SEARCH SAVEDON " + today) == "* SEARCH 1\r\nk1 OK SEARCH completed\r\n");
  CHECK(run(st, "k2 SEARCH SAVEDSINCE " + today) == "* SEARCH 1\r\nk2 OK SEARCH completed\r\n");
  CHECK(run(st, "k3 SEARCH SAVEDBEFORE " + today) == "* SEARCH\r\nk3 OK SEARCH completed\r\n");
  CHECK(run(st, "k4 SEARCH SAVEDON 1-Jan-2020") == "* SEARCH\r\nk4 OK SEARCH completed\r\n");
  CHECK(run(st, "k5 SEARCH ON 1-Jan-2020") == "* SEARCH 1\r\nk5 OK SEARCH completed\r\n");
  CHECK(run(st, "k6 SEARCH SAVEDATESUPPORTED") == "* SEARCH 1\r\nk6 OK SEARCH completed\r\n");
  CHECK(run(st, "k7 SEARCH SAVEDBEFORE " + imap_day(now + 86400 * 2, false)) == "* SEARCH 1\r\nk7 OK SEARCH completed\r\n");
  // A copy is saved in its new mailbox now; its internal date stays 2020.
  CHECK(run(st, "c COPY 1 Archive").starts_with("c OK"));
  run(st, "s2 SELECT Archive");
  auto fc = run(st, "f2 FETCH 1 (INTERNALDATE SAVEDATE)");
  CHECK(fc.starts_with("* 1 FETCH (INTERNALDATE \"01-Jan-2020 10:00:00 +0000\" SAVEDATE \"" + today2 + " "));
  // A message stored before migration 5 has no save date: NIL, and no SAVED* key matches it.
  {
    auto d = sql::open((f.dir / "hearth.db").string());
    REQUIRE(d.has_value());
    REQUIRE((*d)->get().exec("UPDATE mail_messages SET save_date = NULL").has_value());
  }
  CHECK(run(st, "f3 FETCH 1 SAVEDATE") == "* 1 FETCH (SAVEDATE NIL)\r\nf3 OK FETCH completed\r\n");
  CHECK(run(st, "k8 SEARCH OR SAVEDSINCE 1-Jan-1970 SAVEDBEFORE 1-Jan-1970") == "* SEARCH\r\nk8 OK SEARCH completed\r\n");
}

// RFC 8970: FETCH PREVIEW and PREVIEW (LAZY) give plain text of the first text part, at most
// 256 characters (200 here), whitespace collapsed, HTML tags removed; LAZY only allows NIL
// for a preview not computed yet, and Hearth always computes it.
TEST_CASE("PREVIEW", "[imap]") {
  fixture f;
  auto st = f.login();
  CHECK(run(st, "c CAPABILITY").find(" PREVIEW") != std::string::npos);
  const std::string html =
      "From: a@example.org\r\nSubject: h\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n"
      "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
      "<html><head><style>p { color: red; }</style></head><body>\r\n"
      "<p>Tom &amp; Jerry</p>\r\n\r\n<p>say\t  &lt;hi&gt;</p></body></html>\r\n"
      "--b--\r\n";
  std::string words;
  for (int i = 0; i < 60; ++i) words += "word" + std::to_string(i % 10) + " \r\n ";
  const std::string longer = "Subject: long\r\n\r\n  " + words;
  for (const auto* m : {&simple, &multipart, &html, &longer}) run(st, append_cmd("a", "INBOX", *m));
  run(st, "s SELECT INBOX");
  CHECK(run(st, "f1 FETCH 1 PREVIEW") == "* 1 FETCH (PREVIEW \"Hi Bob\")\r\nf1 OK FETCH completed\r\n");
  CHECK(run(st, "f2 FETCH 1 (PREVIEW (LAZY) UID)") == "* 1 FETCH (PREVIEW \"Hi Bob\" UID 1)\r\nf2 OK FETCH completed\r\n");
  // The quoted-printable ISO-8859-1 text part, decoded to UTF-8: 8-bit, so a literal.
  const std::string gruss = "Sch\xc3\xb6ne Gr\xc3\xbc\xc3\x9f" "e";
  CHECK(run(st, "f3 FETCH 2 PREVIEW") ==
        "* 2 FETCH (PREVIEW {" + std::to_string(gruss.size()) + "}\r\n" + gruss + ")\r\nf3 OK FETCH completed\r\n");
  CHECK(run(st, "f4 FETCH 3 PREVIEW") == "* 3 FETCH (PREVIEW \"Tom & Jerry say <hi>\")\r\nf4 OK FETCH completed\r\n");
  std::string want;  // 200 characters: the words and single spaces, cut there
  for (int i = 0; want.size() < 200; ++i) want += (want.empty() ? "" : " ") + ("word" + std::to_string(i % 10));
  want.resize(200);
  while (want.back() == ' ') want.pop_back();
  CHECK(run(st, "f5 FETCH 4 PREVIEW") == "* 4 FETCH (PREVIEW \"" + want + "\")\r\nf5 OK FETCH completed\r\n");
  // PREVIEW is not a BODY[] fetch: \Seen stays unset (RFC 9051 §6.4.5 sets it for those only).
  CHECK(run(st, "f6 FETCH 1 FLAGS") == "* 1 FETCH (FLAGS (\\Recent))\r\nf6 OK FETCH completed\r\n");
}

TEST_CASE("\\Recent: one IMAP4rev1 session gets a new message as recent", "[imap]") {
  // RFC 3501 §2.3.2: "If it is not possible to determine whether or not this session is the
  // first session to be notified about a message, then that message SHOULD be considered
  // recent" is not needed here: the store's mark says which session was first.
  fixture f;
  auto a = f.login();
  auto b = f.login();
  auto c = f.login();
  run(a, append_cmd("a1", "INBOX", simple));
  run(a, append_cmd("a2", "INBOX", simple));
  CHECK(run(c, "s STATUS INBOX (MESSAGES RECENT)") == "* STATUS INBOX (MESSAGES 2 RECENT 2)\r\ns OK STATUS completed\r\n");
  // EXAMINE shows them as recent but does not take them (RFC 3501 §6.3.2).
  auto ex = run(c, "e EXAMINE INBOX");
  CHECK(ex.find("* 2 RECENT\r\n") != std::string::npos);
  CHECK(run(c, "f FETCH 1 FLAGS") == "* 1 FETCH (FLAGS (\\Recent))\r\nf OK FETCH completed\r\n");
  // The first SELECT takes them; the second sees none.
  CHECK(run(a, "s SELECT INBOX").find("* 2 RECENT\r\n") != std::string::npos);
  CHECK(run(b, "s SELECT INBOX").find("* 0 RECENT\r\n") != std::string::npos);
  CHECK(run(a, "n SEARCH NEW") == "* SEARCH 1 2\r\nn OK SEARCH completed\r\n");
  CHECK(run(b, "n SEARCH RECENT") == "* SEARCH\r\nn OK SEARCH completed\r\n");
  CHECK(run(b, "o SEARCH OLD") == "* SEARCH 1 2\r\no OK SEARCH completed\r\n");
  CHECK(run(a, "s STORE 1 +FLAGS (\\Seen)") == "* 1 FETCH (FLAGS (\\Seen \\Recent))\r\ns OK STORE completed\r\n");
  CHECK(run(a, "n SEARCH NEW") == "* SEARCH 2\r\nn OK SEARCH completed\r\n");
  auto d = f.login();
  CHECK(run(d, "s STATUS INBOX (RECENT)") == "* STATUS INBOX (RECENT 0)\r\ns OK STATUS completed\r\n");
  // A delivery while both are selected: the first to look gets it, with RECENT after EXISTS.
  run(c, append_cmd("a3", "INBOX", simple));
  auto nb = run(b, "n NOOP");
  CHECK(nb.find("* 3 EXISTS\r\n* 1 RECENT\r\n") != std::string::npos);
  auto na = run(a, "n NOOP");
  CHECK(na.find("* 3 EXISTS\r\n* 2 RECENT\r\n") != std::string::npos);
  CHECK(run(b, "f FETCH 3 FLAGS") == "* 3 FETCH (FLAGS (\\Recent))\r\nf OK FETCH completed\r\n");
  CHECK(run(a, "f FETCH 3 FLAGS") == "* 3 FETCH (FLAGS ())\r\nf OK FETCH completed\r\n");
  // IMAP4rev2 has no \Recent: such a session neither takes nor shows it.
  auto r2 = f.login();
  run(r2, "e ENABLE IMAP4rev2");
  run(c, append_cmd("a4", "INBOX", simple));
  run(r2, "s SELECT INBOX");
  CHECK(run(r2, "f FETCH 4 FLAGS") == "* 4 FETCH (FLAGS ())\r\nf OK FETCH completed\r\n");
  CHECK(run(d, "s STATUS INBOX (RECENT)") == "* STATUS INBOX (RECENT 1)\r\ns OK STATUS completed\r\n");
}

TEST_CASE("SORT compares strings under i;ascii-casemap", "[imap]") {
  // RFC 5256 §2.2 names i;ascii-casemap (RFC 4790 §9.2: a-z map to A-Z before comparing), so
  // "_" (0x5F) sorts after "A" (0x41) whatever the case the subject was written in.
  fixture f;
  auto st = f.login();
  for (const char* subj : {"_under", "apple", "Banana", "[tag] x"})
    run(st, append_cmd("a", "INBOX", std::string("From: a@example.org\r\nSubject: ") + subj + "\r\n\r\nx\r\n"));
  run(st, "s SELECT INBOX");
  // Base subjects "_under", "apple", "banana", "x" (the leading [tag] is a blob, RFC 5256 §5):
  // in upper case APPLE < BANANA < X < _UNDER; folded to lower case "_under" would come first.
  CHECK(run(st, "o SORT (SUBJECT) UTF-8 ALL") == "* SORT 2 3 4 1\r\no OK SORT completed\r\n");
  CHECK(run(st, "r SORT (REVERSE SUBJECT) UTF-8 ALL") == "* SORT 1 4 3 2\r\nr OK SORT completed\r\n");
}

TEST_CASE("ESORT: SORT RETURN answers ESEARCH in sort order", "[imap]") {
  // RFC 5267 §3: MIN/MAX are the first/last message in the sort order, ALL keeps that order.
  fixture f;
  auto st = f.login();
  for (const char* subj : {"c", "a", "b", "d"})
    run(st, append_cmd("a", "INBOX", std::string("From: a@example.org\r\nSubject: ") + subj + "\r\n\r\nx\r\n"));
  run(st, "s SELECT INBOX");
  CHECK(run(st, "e1 SORT RETURN (MIN MAX COUNT) (SUBJECT) UTF-8 ALL") ==
        "* ESEARCH (TAG \"e1\") MIN 2 MAX 4 COUNT 4\r\ne1 OK SORT completed\r\n");
  CHECK(run(st, "e2 SORT RETURN () (SUBJECT) UTF-8 ALL") == "* ESEARCH (TAG \"e2\") ALL 2:3,1,4\r\ne2 OK SORT completed\r\n");
  CHECK(run(st, "e3 UID SORT RETURN (ALL) (REVERSE SUBJECT) UTF-8 ALL") ==
        "* ESEARCH (TAG \"e3\") UID ALL 4,1,3,2\r\ne3 OK UID SORT completed\r\n");
  CHECK(run(st, "e4 SORT RETURN (COUNT) (SUBJECT) UTF-8 SUBJECT zzz") ==
        "* ESEARCH (TAG \"e4\") COUNT 0\r\ne4 OK SORT completed\r\n");
  CHECK(run(st, "e5 SORT RETURN (SAVE MIN) (SUBJECT) UTF-8 ALL") == "* ESEARCH (TAG \"e5\") MIN 2\r\ne5 OK SORT completed\r\n");
  CHECK(run(st, "f FETCH $ UID") == "* 2 FETCH (UID 2)\r\nf OK FETCH completed\r\n");
  CHECK_FALSE(parse_command("e6 SORT RETURN (BOGUS) (SUBJECT) UTF-8 ALL\r\n").cmd.has_value());
  CHECK(run(st, "c CAPABILITY").find(" ESORT") != std::string::npos);
}

TEST_CASE("METADATA: mailbox and server annotations", "[imap]") {
  // RFC 5464 §4.2-4.3 with the responses of its examples.
  fixture f;
  auto st = f.login();
  CHECK(run(st, "c CAPABILITY").find(" METADATA") != std::string::npos);
  CHECK(run(st, "s1 SETMETADATA INBOX (/private/comment \"My own comment\" /shared/comment {12+}\r\nfor everyone)") ==
        "s1 OK SETMETADATA completed\r\n");
  CHECK(run(st, "g1 GETMETADATA INBOX /private/comment") ==
        "* METADATA INBOX (/private/comment \"My own comment\")\r\ng1 OK GETMETADATA completed\r\n");
  // Entry names are case-insensitive; an unset entry is NIL.
  CHECK(run(st, "g2 GETMETADATA INBOX (/Shared/Comment /private/none)") ==
        "* METADATA INBOX (/shared/comment \"for everyone\" /private/none NIL)\r\ng2 OK GETMETADATA completed\r\n");
  // DEPTH and MAXSIZE (§4.2.1-2): the long value is left out and its size reported.
  run(st, "s2 SETMETADATA INBOX (/private/vendor/x/a \"1\" /private/vendor/x/b/c \"22\" /private/vendor/x/long \"0123456789\")");
  CHECK(run(st, "g3 GETMETADATA (DEPTH 1) INBOX /private/vendor/x") ==
        "* METADATA INBOX (/private/vendor/x/a \"1\" /private/vendor/x/long \"0123456789\")\r\ng3 OK GETMETADATA completed\r\n");
  CHECK(run(st, "g4 GETMETADATA (MAXSIZE 5 DEPTH infinity) INBOX /private/vendor") ==
        "* METADATA INBOX (/private/vendor/x/a \"1\" /private/vendor/x/b/c \"22\")\r\n"
        "g4 OK [METADATA LONGENTRIES 10] GETMETADATA completed\r\n");
  // NIL removes.
  CHECK(run(st, "s3 SETMETADATA INBOX (/private/comment NIL)") == "s3 OK SETMETADATA completed\r\n");
  CHECK(run(st, "g5 GETMETADATA INBOX /private/comment") ==
        "* METADATA INBOX (/private/comment NIL)\r\ng5 OK GETMETADATA completed\r\n");
  // The server: /shared/admin names the postmaster; the account's /private entries are its own.
  CHECK(run(st, "g6 GETMETADATA \"\" /shared/admin") ==
        "* METADATA \"\" (/shared/admin \"mailto:postmaster@mail.home.test\")\r\ng6 OK GETMETADATA completed\r\n");
  CHECK(run(st, "s4 SETMETADATA \"\" (/shared/comment \"x\")").starts_with("s4 NO [NOPERM] "));
  CHECK(run(st, "s5 SETMETADATA \"\" (/private/vendor/client/theme \"dark\")") == "s5 OK SETMETADATA completed\r\n");
  auto other = f.login();
  other.account = "bob@home.test";
  CHECK(run(other, "g7 GETMETADATA \"\" /private/vendor/client/theme") ==
        "* METADATA \"\" (/private/vendor/client/theme NIL)\r\ng7 OK GETMETADATA completed\r\n");
  // Limits and bad names.
  CHECK(run(st, "s6 SETMETADATA INBOX (/private/big ~{70000}\r\n" + std::string(70000, 'x') + ")") ==
        "s6 NO [METADATA MAXSIZE 65536] Value too large\r\n");
  CHECK(run(st, "s7 SETMETADATA INBOX (/other/x \"1\")").starts_with("s7 BAD "));
  CHECK(run(st, "s8 SETMETADATA INBOX (/private/a//b \"1\")").starts_with("s8 BAD "));
  CHECK(run(st, "s9 SETMETADATA Nope (/private/comment \"1\")") == "s9 NO [NONEXISTENT] No such mailbox\r\n");
  std::string many = "s10 SETMETADATA INBOX (";
  for (int i = 0; i < 100; ++i) many += "/private/n" + std::to_string(i) + " \"v\" ";
  many.back() = ')';
  CHECK(run(st, many) == "s10 OK SETMETADATA completed\r\n");
  many.replace(0, 3, "s11");
  for (int i = 100; i < 200; ++i) many.insert(many.size() - 1, " /private/m" + std::to_string(i) + " \"v\"");
  // 100 entries per command at most (parser), 200 per mailbox (store).
  CHECK_FALSE(parse_command(many + "\r\n").cmd.has_value());
  std::string more = "s12 SETMETADATA INBOX (";
  for (int i = 0; i < 100; ++i) more += "/private/k" + std::to_string(i) + " \"v\" ";
  more.back() = ')';
  CHECK(run(st, more) == "s12 NO [METADATA TOOMANY] Too many annotations\r\n");
  CHECK(run(st, "g8 GETMETADATA INBOX /private/k0") == "* METADATA INBOX (/private/k0 NIL)\r\ng8 OK GETMETADATA completed\r\n");
  // Deleting a mailbox deletes its annotations.
  run(st, "c CREATE Box");
  run(st, "s13 SETMETADATA Box (/private/comment \"gone soon\")");
  run(st, "d DELETE Box");
  run(st, "c CREATE Box");
  CHECK(run(st, "g9 GETMETADATA Box /private/comment") == "* METADATA \"Box\" (/private/comment NIL)\r\ng9 OK GETMETADATA completed\r\n");
}

// RFC 4469: CATENATE builds the message from text and URLs of the user's own messages; a URL
// that names nothing, another user or another server refuses the whole APPEND with BADURL and
// stores nothing.
TEST_CASE("APPEND CATENATE", "[imap][catenate]") {
  fixture f;
  auto st = f.login();
  const std::string original =
      "From: a@b.test\r\nSubject: forwarded\r\nContent-Type: multipart/mixed; boundary=xx\r\n\r\n"
      "--xx\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n--xx\r\nContent-Type: text/plain\r\n\r\n"
      "second part\r\n--xx--\r\n";
  REQUIRE(run(st, append_cmd("a1", "INBOX", original)).find("a1 OK") != std::string::npos);
  auto sel = run(st, "s SELECT INBOX");
  auto v = sel.find("UIDVALIDITY ");
  REQUIRE(v != std::string::npos);
  const std::string uidvalidity = sel.substr(v + 12, sel.find(']', v) - v - 12);
  CHECK(run(st, "c CAPABILITY").find(" CATENATE") != std::string::npos);

  const std::string head = "From: me@home.test\r\nSubject: fwd\r\n\r\n";
  auto r = run(st, "a2 APPEND Drafts CATENATE (TEXT {" + std::to_string(head.size()) + "+}\r\n" + head +
                       " URL \"/INBOX;UIDVALIDITY=" + uidvalidity + "/;UID=1/;SECTION=2\" TEXT {2+}\r\n\r\n"
                       " URL \"imap://alice%40home.test@mail.home.test/INBOX/;UID=1/;SECTION=1/;PARTIAL=0.5\")");
  REQUIRE(r.find("a2 OK [APPENDUID ") != std::string::npos);
  run(st, "s2 SELECT Drafts");
  auto body = run(st, "f FETCH 1 BODY.PEEK[]");
  CHECK(body.find(head + "second part\r\nfirst") != std::string::npos);

  // The whole message by URL, then refusals: no such UID, a changed UIDVALIDITY, another user,
  // another server, URLAUTH, a section that does not exist.
  CHECK(run(st, "a3 APPEND Drafts CATENATE (URL /INBOX/;UID=1)").find("a3 OK") != std::string::npos);
  for (const std::string bad_url : std::vector<std::string>{"/INBOX/;UID=9", "/INBOX;UIDVALIDITY=1/;UID=1", "imap://bob%40home.test@mail.home.test/INBOX/;UID=1",
        "imap://mail.elsewhere.test/INBOX/;UID=1", "/INBOX/;UID=1;EXPIRE=2030-01-01T00:00:00Z;URLAUTH=anonymous",
        "/INBOX/;UID=1/;SECTION=7", "/Nope/;UID=1", "INBOX/;UID=1"}) {
    auto refused = run(st, "b APPEND Drafts CATENATE (TEXT {1+}\r\nx URL \"" + bad_url + "\")");
    CHECK(refused.find("b NO [BADURL ") != std::string::npos);
  }
  auto status = run(st, "st STATUS Drafts (MESSAGES)");
  CHECK(status.find("MESSAGES 2") != std::string::npos);
}
