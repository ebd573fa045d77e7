// Handler tests: IMAP text in, responses out, against a real store in a temp folder (no
// sockets; the e2e tests drive the same handlers through the real binary).
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <cstdio>
#include <ctime>

#include "core/blob/store.hpp"
#include "mail/imap/proto/parser.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/commands_test_util.hpp"
#include "mail/imap/server/deflate.hpp"
#include "mail/imap/server/search.hpp"

using namespace hearth;
using namespace hearth::mail::imap;

using namespace hearth::mail::imap::test;


TEST_CASE("state checks come before dispatch", "[imap]") {
  fixture f;
  session_state st;
  st.env = &f.env;
  CHECK(run(st, "a SELECT INBOX") == "a BAD Log in first\r\n");
  CHECK(run(st, "b LOGIN alice x") == "b NO [PRIVACYREQUIRED] LOGIN is disabled without TLS, use STARTTLS\r\n");
  auto caps = run(st, "c CAPABILITY");
  CHECK(caps.find("LOGINDISABLED") != std::string::npos);
  CHECK(caps.find("STARTTLS") != std::string::npos);
  CHECK(caps.find("AUTH=") == std::string::npos);
  auto st2 = f.login();
  CHECK(run(st2, "d FETCH 1 FLAGS") == "d BAD No mailbox selected\r\n");
  run(st2, "e SELECT INBOX");
  CHECK(run(st2, "f FETCH 1:* FLAGS") == "f OK FETCH completed\r\n");  // empty mailbox
  CHECK(run(st2, "g FETCH 1 FLAGS") == "g BAD Invalid message sequence number\r\n");
}

TEST_CASE("append, select, fetch envelope and bodystructure", "[imap]") {
  fixture f;
  auto st = f.login();
  auto a = run(st, append_cmd("a1", "INBOX", simple));
  CHECK(a.starts_with("a1 OK [APPENDUID "));
  auto s = run(st, "s SELECT INBOX");
  CHECK(s.find("* 1 EXISTS\r\n") != std::string::npos);
  CHECK(s.find("s OK [READ-WRITE] SELECT completed") != std::string::npos);
  auto e = run(st, "f FETCH 1 (ENVELOPE BODYSTRUCTURE RFC822.SIZE)");
  CHECK(e ==
        "* 1 FETCH (ENVELOPE (\"Sun, 22 Nov 2026 10:00:00 +0000\" \"Hello\" ((\"Alice\" NIL \"alice\" \"home.test\")) "
        "((\"Alice\" NIL \"alice\" \"home.test\")) ((\"Alice\" NIL \"alice\" \"home.test\")) ((NIL NIL \"bob\" "
        "\"example.org\")) NIL NIL NIL \"<m1@home.test>\") BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") "
        "NIL NIL \"7BIT\" 8 1 NIL NIL NIL NIL) RFC822.SIZE " +
            std::to_string(simple.size()) + ")\r\nf OK FETCH completed\r\n");
  auto b = run(st, "g FETCH 1 (BODY.PEEK[1] BODY.PEEK[HEADER.FIELDS (Subject)])");
  CHECK(b == "* 1 FETCH (BODY[1] {8}\r\nHi Bob\r\n BODY[HEADER.FIELDS (Subject)] {18}\r\nSubject: Hello\r\n\r\n)\r\n"
             "g OK FETCH completed\r\n");
  // BODY[] (not PEEK) sets \Seen and reports the new flags.
  auto seen = run(st, "h FETCH 1 BODY[]<0.4>");
  CHECK(seen == "* 1 FETCH (BODY[]<0> {4}\r\nFrom FLAGS (\\Seen \\Recent))\r\nh OK FETCH completed\r\n");
}

TEST_CASE("multipart: bodystructure, binary, search decoded text", "[imap]") {
  fixture f;
  auto st = f.login();
  run(st, append_cmd("a1", "INBOX", simple));
  run(st, append_cmd("a2", "INBOX", multipart));
  run(st, "s SELECT INBOX");
  auto bs = run(st, "f FETCH 2 BODYSTRUCTURE");
  CHECK(bs ==
        "* 2 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"iso-8859-1\") NIL NIL \"QUOTED-PRINTABLE\" 18 1 "
        "NIL NIL NIL NIL)(\"APPLICATION\" \"PDF\" (\"NAME\" \"x.pdf\") NIL NIL \"BASE64\" 8 NIL (\"ATTACHMENT\" "
        "(\"FILENAME*\" \"utf-8''%E2%82%AC.pdf\")) NIL NIL) \"MIXED\" (\"BOUNDARY\" \"b1\") NIL NIL NIL))\r\n"
        "f OK FETCH completed\r\n");
  CHECK(run(st, "b FETCH 2 BINARY.PEEK[2]") == "* 2 FETCH (BINARY[2] {5}\r\nHello)\r\nb OK FETCH completed\r\n");
  CHECK(run(st, "c SEARCH BODY \"schöne\"") == "* SEARCH 2\r\nc OK SEARCH completed\r\n");
  CHECK(run(st, "d SEARCH SUBJECT \"GRÜSSE\"") == "* SEARCH\r\nd OK SEARCH completed\r\n");
  CHECK(run(st, "e SEARCH SUBJECT \"grüße\"") == "* SEARCH 2\r\ne OK SEARCH completed\r\n");
  CHECK(run(st, "g UID SEARCH CHARSET UTF-8 FROM {5+}\r\njörg") == "* SEARCH 2\r\ng OK UID SEARCH completed\r\n");
  CHECK(run(st, "h SEARCH OR FROM alice TO alice") == "* SEARCH 1 2\r\nh OK SEARCH completed\r\n");
  CHECK(run(st, "i SEARCH SENTSINCE 23-Nov-2026") == "* SEARCH 2\r\ni OK SEARCH completed\r\n");
  CHECK(run(st, "j SEARCH RETURN (MIN COUNT) ALL") == "* ESEARCH (TAG \"j\") MIN 1 COUNT 2\r\nj OK SEARCH completed\r\n");
  CHECK(run(st, "k SEARCH RETURN (SAVE) FROM alice") == "k OK SEARCH completed\r\n");
  CHECK(run(st, "l FETCH $ UID").starts_with("* 1 FETCH (UID 1)\r\n"));
  CHECK(run(st, "m THREAD REFERENCES UTF-8 ALL") == "* THREAD (1 2)\r\nm OK THREAD completed\r\n");
  CHECK(run(st, "n SORT (REVERSE DATE) UTF-8 ALL") == "* SORT 2 1\r\nn OK SORT completed\r\n");
  CHECK(run(st, "o SORT (SUBJECT) UTF-8 ALL") == "* SORT 2 1\r\no OK SORT completed\r\n");
}

TEST_CASE("two sessions see each other's changes", "[imap]") {
  fixture f;
  auto a = f.login();
  auto b = f.login();
  run(a, append_cmd("a1", "INBOX", simple));
  run(a, append_cmd("a2", "INBOX", simple));
  run(a, "s SELECT INBOX");
  run(b, "s SELECT INBOX");
  run(b, append_cmd("b1", "INBOX", simple));
  // b saw uid 3 first (after its own APPEND), so it is recent there, not here (RFC 3501 §2.3.2).
  CHECK(run(a, "n NOOP") == "* 3 EXISTS\r\n* 2 RECENT\r\nn OK NOOP completed\r\n");
  CHECK(run(b, "st STORE 1 +FLAGS (\\Deleted)") == "* 1 FETCH (FLAGS (\\Deleted))\r\nst OK STORE completed\r\n");
  CHECK(run(a, "n NOOP") == "* 1 FETCH (UID 1 FLAGS (\\Deleted \\Recent))\r\nn OK NOOP completed\r\n");
  CHECK(run(b, "x EXPUNGE") == "* 1 EXPUNGE\r\nx OK EXPUNGE completed\r\n");
  // FETCH may not announce expunges (RFC 9051 §7.5.1): the number stays, with no data; NOOP
  // announces it.
  CHECK(run(a, "f FETCH 1 UID") == "f OK FETCH completed\r\n");
  CHECK(run(a, "n NOOP") == "* 1 EXPUNGE\r\nn OK NOOP completed\r\n");
  // QRESYNC: VANISHED instead of EXPUNGE.
  run(a, "e ENABLE QRESYNC");
  run(b, "m UID MOVE 2 Trash");
  CHECK(run(a, "n NOOP") == "* VANISHED 2\r\nn OK NOOP completed\r\n");
}

TEST_CASE("FETCH of flags shows the current flags, of the messages named only", "[imap]") {
  // A FETCH of UID/FLAGS/MODSEQ naming a good part of the mailbox reads the shared flag index,
  // one naming a few messages reads their rows (cmd_fetch.cpp flags_only): both must show what
  // another session stored since this one last looked, and only the messages asked for.
  fixture f;
  auto a = f.login();
  auto b = f.login();
  for (int i = 0; i < 8; ++i) run(a, append_cmd("a" + std::to_string(i), "INBOX", simple));
  run(a, "s SELECT INBOX");
  run(b, "s SELECT INBOX");
  CHECK(run(b, "t UID STORE 2 +FLAGS.SILENT (\\Flagged $k)") == "t OK UID STORE completed\r\n");
  auto all = run(a, "f UID FETCH 1:6 (UID FLAGS)");
  CHECK(all.find("* 2 FETCH (UID 2 FLAGS (\\Flagged $k \\Recent))") != std::string::npos);
  CHECK(all.find("* 1 FETCH (UID 1 FLAGS (\\Recent))") != std::string::npos);
  CHECK(all.find("UID 7") == std::string::npos);
  CHECK(all.find("$k)\r\n* OK [PERMANENTFLAGS") != std::string::npos);  // announced before the FETCH
  CHECK(run(b, "t UID STORE 2 -FLAGS.SILENT (\\Flagged)") == "t OK UID STORE completed\r\n");
  CHECK(run(a, "g UID FETCH 2 (UID FLAGS)").starts_with("* 2 FETCH (UID 2 FLAGS ($k \\Recent))\r\n"));
  CHECK(run(b, "t UID STORE 8 +FLAGS.SILENT (\\Seen)") == "t OK UID STORE completed\r\n");
  auto m = run(a, "h FETCH 1:* (FLAGS MODSEQ)");
  CHECK(m.find("* 8 FETCH (FLAGS (\\Seen \\Recent) MODSEQ (") != std::string::npos);
  CHECK(m.find("* 2 FETCH (FLAGS ($k \\Recent) MODSEQ (") != std::string::npos);
}

TEST_CASE("mailboxes: list, create, rename, status, quota", "[imap]") {
  fixture f;
  auto st = f.login();
  CHECK(run(st, "c CREATE Work/Projects/").starts_with("c OK [MAILBOXID ("));
  CHECK(run(st, "c CREATE Work/Projects") == "c NO [ALREADYEXISTS] Mailbox already exists\r\n");
  auto l = run(st, "l LIST \"\" \"Work*\"");
  CHECK(l == "* LIST (\\HasNoChildren) \"/\" \"Work/Projects\"\r\n* LIST (\\Noselect \\HasChildren) \"/\" \"Work\"\r\n"
             "l OK LIST completed\r\n");
  auto su = run(st, "l LIST (SPECIAL-USE) \"\" \"*\"");
  CHECK(su.find("\\Trash) \"/\" \"Trash\"") != std::string::npos);
  CHECK(su.find("INBOX") == std::string::npos);
  CHECK(run(st, "r RENAME Work/Projects Done") == "r OK RENAME completed\r\n");
  CHECK(run(st, "s STATUS Done (MESSAGES UNSEEN)") == "* STATUS \"Done\" (MESSAGES 0 UNSEEN 0)\r\ns OK STATUS completed\r\n");
  CHECK(run(st, "q GETQUOTAROOT INBOX") == "* QUOTAROOT INBOX \"\"\r\n* QUOTA \"\" ()\r\nq OK GETQUOTAROOT completed\r\n");
  CHECK(run(st, "x SELECT Nope") == "x NO [NONEXISTENT] No such mailbox\r\n");
  CHECK(run(st, append_cmd("y", "Nope", simple)) == "y NO [TRYCREATE] No such mailbox\r\n");
}

TEST_CASE("IMAP4rev2: SELECT names the mailbox, SEARCH answers ESEARCH, no RECENT", "[imap]") {
  fixture f;
  auto st = f.login();
  run(st, "e ENABLE IMAP4rev2");
  auto s = run(st, "s SELECT inbox");
  CHECK(s.find("* LIST () \"/\" INBOX\r\n") != std::string::npos);
  CHECK(s.find("RECENT") == std::string::npos);
  CHECK(run(st, "x SEARCH ALL") == "* ESEARCH (TAG \"x\")\r\nx OK SEARCH completed\r\n");
}

TEST_CASE("base subject and dates", "[imap]") {
  CHECK(base_subject("Re: [list] Fwd: Hello (fwd)") == "hello");
  CHECK(base_subject("RE:  re: Hi  there") == "hi there");
  CHECK(parse_mail_date("Sun, 22 Nov 2026 10:00:00 +0100").value() == 1795338000);
  CHECK_FALSE(parse_mail_date("garbage").has_value());
}

TEST_CASE("keywords are announced in FLAGS before a FETCH shows them", "[imap]") {
  // RFC 3501 §7.2.6 / RFC 9051 §7.3.5: FLAGS names the flags "applicable for this mailbox";
  // a client learns a new keyword from a FLAGS (and PERMANENTFLAGS) sent before the FETCH.
  fixture f;
  auto st = f.login();
  run(st, append_cmd("a1", "INBOX", simple));
  run(st, append_cmd("a2", "INBOX", simple));
  auto s = run(st, "s SELECT INBOX");
  CHECK(s.find("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n") != std::string::npos);
  const std::string sys = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";
  CHECK(run(st, "t STORE 2 +FLAGS (\\Seen $hello $world)") ==
        "* FLAGS (" + sys + " $hello $world)\r\n"
        "* OK [PERMANENTFLAGS (" + sys + " $hello $world \\*)] Flags permitted\r\n"
        "* 2 FETCH (FLAGS (\\Seen $hello $world \\Recent))\r\n"
        "t OK STORE completed\r\n");
  // Announced once: later FETCHes and STOREs of known keywords (any case) send no FLAGS.
  CHECK(run(st, "u FETCH 2 FLAGS") == "* 2 FETCH (FLAGS (\\Seen $hello $world \\Recent))\r\nu OK FETCH completed\r\n");
  CHECK(run(st, "v STORE 1 +FLAGS ($HELLO)").starts_with("* 1 FETCH (FLAGS ("));
  // Another session adds a keyword: FLAGS comes before the FETCH at the next sync point.
  auto other = f.login();
  run(other, "s SELECT INBOX");
  CHECK(run(other, "t STORE 1 +FLAGS.SILENT ($new)") == "t OK STORE completed\r\n");
  CHECK(run(st, "n NOOP") == "* FLAGS (" + sys + " $hello $world $new)\r\n"
                             "* OK [PERMANENTFLAGS (" + sys + " $hello $world $new \\*)] Flags permitted\r\n"
                             "* 1 FETCH (UID 1 FLAGS ($HELLO $new \\Recent))\r\nn OK NOOP completed\r\n");
  // A new SELECT lists every keyword in use.
  s = run(st, "s SELECT INBOX");
  CHECK(s.find("$hello $new $world)") != std::string::npos);
}

TEST_CASE("SENT* compare the Date field's own day, not the UTC day", "[imap]") {
  // RFC 3501 §6.4.4: "the message's Date: header (disregarding time and timezone)".
  fixture f;
  auto st = f.login();
  auto dated = [](const std::string& date) {
    return "From: a@example.org\r\nSubject: d\r\nDate: " + date + "\r\n\r\nx\r\n";
  };
  run(st, append_cmd("a1", "INBOX", dated("Mon, 23 Nov 2026 00:30:00 +0100")));  // 22 Nov in UTC
  run(st, append_cmd("a2", "INBOX", dated("Sun, 22 Nov 2026 23:30:00 -0500")));  // 23 Nov in UTC
  run(st, append_cmd("a3", "INBOX", dated("Sun, 22 Nov 2026 22:00:00 EST")));    // obs-zone, -0500
  run(st, "s SELECT INBOX");
  CHECK(run(st, "a SEARCH SENTON 23-Nov-2026") == "* SEARCH 1\r\na OK SEARCH completed\r\n");
  CHECK(run(st, "b SEARCH SENTON 22-Nov-2026") == "* SEARCH 2 3\r\nb OK SEARCH completed\r\n");
  CHECK(run(st, "c SEARCH SENTBEFORE 23-Nov-2026") == "* SEARCH 2 3\r\nc OK SEARCH completed\r\n");
  CHECK(run(st, "d SEARCH SENTSINCE 23-Nov-2026") == "* SEARCH 1\r\nd OK SEARCH completed\r\n");
  // The internal date: the day FETCH INTERNALDATE shows (the store keeps UTC, shown +0000).
  run(st, "a4 APPEND INBOX \"22-Nov-2026 23:30:00 -0500\" {5+}\r\nx\r\n\r\n");
  CHECK(run(st, "e FETCH 4 INTERNALDATE").starts_with("* 4 FETCH (INTERNALDATE \"23-Nov-2026 04:30:00 +0000\")"));
  CHECK(run(st, "f SEARCH ON 23-Nov-2026 UID 4") == "* SEARCH 4\r\nf OK SEARCH completed\r\n");
  CHECK(run(st, "g SEARCH BEFORE 23-Nov-2026 UID 4") == "* SEARCH\r\ng OK SEARCH completed\r\n");
  int zone = 0;
  CHECK(parse_mail_date("Mon, 23 Nov 2026 00:30:00 +0100", &zone).value() == 1795390200);
  CHECK(zone == 60);
  CHECK(parse_mail_date("Sun, 22 Nov 2026 22:00:00 PDT", &zone).value() == 1795410000);
  CHECK(zone == -420);
}

TEST_CASE("a trailing comment names a bare address in ENVELOPE and SEARCH", "[imap]") {
  fixture f;
  auto st = f.login();
  run(st, append_cmd("a1", "INBOX",
                     "From: user@example.org (Real Name)\r\nTo: b@example.org (=?utf-8?q?J=C3=B6rg?=)\r\n"
                     "Subject: c\r\n\r\nx\r\n"));
  run(st, append_cmd("a2", "INBOX", simple));
  run(st, "s SELECT INBOX");
  CHECK(run(st, "f FETCH 1 ENVELOPE") ==
        "* 1 FETCH (ENVELOPE (NIL \"c\" ((\"Real Name\" NIL \"user\" \"example.org\")) "
        "((\"Real Name\" NIL \"user\" \"example.org\")) ((\"Real Name\" NIL \"user\" \"example.org\")) "
        "((\"=?utf-8?b?SsO2cmc=?=\" NIL \"b\" \"example.org\")) NIL NIL NIL NIL))\r\nf OK FETCH completed\r\n");
  CHECK(run(st, "a SEARCH FROM \"real name\"") == "* SEARCH 1\r\na OK SEARCH completed\r\n");
  CHECK(run(st, "b SEARCH CHARSET UTF-8 TO \"J\xC3\xB6rg\"") == "* SEARCH 1\r\nb OK SEARCH completed\r\n");
}

TEST_CASE("subscriptions: LSUB parents, names without a mailbox, RECURSIVEMATCH", "[imap]") {
  fixture f;
  auto st = f.login();
  CHECK(run(st, "c CREATE Fruit/Apple").starts_with("c OK [MAILBOXID ("));
  CHECK(run(st, "c CREATE Fruit/Peach").starts_with("c OK [MAILBOXID ("));
  CHECK(run(st, "c CREATE Veg").starts_with("c OK [MAILBOXID ("));
  CHECK(run(st, "u UNSUBSCRIBE Veg") == "u OK UNSUBSCRIBE completed\r\n");
  // RFC 3501 §6.3.9: "Fruit" is not subscribed (it does not even exist), but its subscribed
  // inferiors do not match "%": LSUB returns it with \Noselect.
  CHECK(run(st, "l LSUB \"\" \"F%\"") == "* LSUB (\\Noselect) \"/\" \"Fruit\"\r\nl OK LSUB completed\r\n");
  CHECK(run(st, "l LSUB \"\" \"F*\"") ==
        "* LSUB () \"/\" \"Fruit/Apple\"\r\n* LSUB () \"/\" \"Fruit/Peach\"\r\nl OK LSUB completed\r\n");
  CHECK(run(st, "l LSUB \"\" \"V%\"") == "l OK LSUB completed\r\n");
  // RFC 9051 §6.3.7 / RFC 5258 §3: DELETE keeps the subscription, listed as \NonExistent.
  CHECK(run(st, "d DELETE Fruit/Peach") == "d OK DELETE completed\r\n");
  CHECK(run(st, "l LIST (SUBSCRIBED) \"\" \"Fruit/*\"") ==
        "* LIST (\\HasNoChildren \\Subscribed) \"/\" \"Fruit/Apple\"\r\n"
        "* LIST (\\NonExistent \\Subscribed) \"/\" \"Fruit/Peach\"\r\nl OK LIST completed\r\n");
  CHECK(run(st, "l LIST \"\" \"Fruit/*\"") == "* LIST (\\HasNoChildren) \"/\" \"Fruit/Apple\"\r\nl OK LIST completed\r\n");
  CHECK(run(st, "l LSUB \"\" \"Fruit/P*\"") == "* LSUB () \"/\" \"Fruit/Peach\"\r\nl OK LSUB completed\r\n");
  // A name not created yet may be subscribed; creating it keeps the subscription.
  CHECK(run(st, "s SUBSCRIBE Later") == "s OK SUBSCRIBE completed\r\n");
  CHECK(run(st, "l LIST (SUBSCRIBED) \"\" Later") == "* LIST (\\NonExistent \\Subscribed) \"/\" \"Later\"\r\nl OK LIST completed\r\n");
  CHECK(run(st, "c CREATE Later").starts_with("c OK [MAILBOXID ("));
  CHECK(run(st, "l LIST (SUBSCRIBED) \"\" Later") == "* LIST (\\HasNoChildren \\Subscribed) \"/\" \"Later\"\r\nl OK LIST completed\r\n");
  CHECK(run(st, "u UNSUBSCRIBE Fruit/Peach") == "u OK UNSUBSCRIBE completed\r\n");
  CHECK(run(st, "l LIST (SUBSCRIBED) \"\" \"Fruit/P*\"") == "l OK LIST completed\r\n");
  CHECK(run(st, "u UNSUBSCRIBE Fruit/Peach") == "u NO [NONEXISTENT] No such mailbox\r\n");
  // RFC 5258 §3: RECURSIVEMATCH alone, or with REMOTE only, is BAD.
  CHECK(run(st, "r LIST (RECURSIVEMATCH) \"\" *").starts_with("r BAD "));
  CHECK(run(st, "r LIST (REMOTE RECURSIVEMATCH) \"\" *").starts_with("r BAD "));
  CHECK(run(st, "r LIST (SUBSCRIBED RECURSIVEMATCH) \"\" Later").ends_with("r OK LIST completed\r\n"));
}

TEST_CASE("LIST (SUBSCRIBED RECURSIVEMATCH) returns CHILDINFO", "[imap]") {
  // RFC 5258 §5 example 9's tree: foo2 (not subscribed), foo2/bar2 and foo2/bar3 (subscribed),
  // baz2 (not), baz2/bar2 and baz2/bar22 (subscribed), baz2/bar222 (not), eps2 and eps2/mamba
  // (subscribed), qux2/bar2 (subscribed, no qux2).
  fixture f;
  auto st = f.login();
  for (const char* n : {"foo2", "foo2/bar2", "foo2/bar3", "baz2", "baz2/bar2", "baz2/bar22", "baz2/bar222", "eps2",
                        "eps2/mamba", "qux2/bar2"})
    REQUIRE(run(st, std::string("c CREATE ") + n).starts_with("c OK "));
  for (const char* n : {"foo2", "baz2", "baz2/bar222", "INBOX", "Sent", "Drafts", "Junk", "Trash", "Archive"})
    run(st, std::string("u UNSUBSCRIBE ") + n);
  // "baz2" is not returned: all its subscribed children match "*2" and are returned themselves.
  CHECK(run(st, "r LIST (RECURSIVEMATCH SUBSCRIBED) \"\" \"*2\"") ==
        "* LIST (\\HasNoChildren \\Subscribed) \"/\" \"baz2/bar2\"\r\n"
        "* LIST (\\HasNoChildren \\Subscribed) \"/\" \"baz2/bar22\"\r\n"
        "* LIST (\\HasChildren \\Subscribed) \"/\" \"eps2\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"
        "* LIST (\\HasNoChildren \\Subscribed) \"/\" \"foo2/bar2\"\r\n"
        "* LIST (\\HasNoChildren \\Subscribed) \"/\" \"qux2/bar2\"\r\n"
        "* LIST (\\HasChildren) \"/\" \"foo2\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"
        "r OK LIST completed\r\n");
  // A parent with no mailbox of its own is \NonExistent.
  CHECK(run(st, "r LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"qux%\"") ==
        "* LIST (\\NonExistent \\HasChildren) \"/\" \"qux2\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"
        "r OK LIST completed\r\n");
  // Without RECURSIVEMATCH, no CHILDINFO.
  CHECK(run(st, "r LIST (SUBSCRIBED) \"\" \"qux%\"") == "r OK LIST completed\r\n");
}

TEST_CASE("deflate round trip", "[imap]") {
  deflate_codec a, b;
  std::string text(10000, 'x');
  auto z = a.compress(text);
  CHECK(z.size() < text.size());
  auto back = b.decompress(z, 1 << 20);
  REQUIRE(back.has_value());
  CHECK(*back == text);
  CHECK_FALSE(b.decompress(std::string(100, '\xff'), 1 << 20).has_value());
}
