#include "mail/imap/proto/parser.hpp"

#include <set>

#include "mail/imap/proto/command_table.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::imap;
using namespace std::string_view_literals;

namespace {

command ok(std::string_view s, parse_options o = {}) {
  auto p = parse_command(s, o);
  INFO(s);
  if (!p.cmd) INFO(p.cmd.error().message);
  REQUIRE(p.cmd.has_value());
  return *p.cmd;
}

std::string bad(std::string_view s, parse_options o = {}) {
  auto p = parse_command(s, o);
  INFO(s);
  REQUIRE(!p.cmd.has_value());
  return p.cmd.error().code;
}

}  // namespace

TEST_CASE("simple commands", "[imap]") {
  for (auto n : {"CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "IDLE", "CLOSE", "UNSELECT", "EXPUNGE", "NAMESPACE"}) {
    auto c = ok(std::string("a1 ") + n + "\r\n");
    CHECK(c.tag == "a1");
    CHECK(c.name == n);
  }
  CHECK(ok("x noop\r\n").name == "NOOP");
  CHECK(bad("a1 NOOP extra\r\n") == "imap.syntax");
  CHECK(bad("a1 FROB\r\n") == "imap.unknown_command");
  CHECK(bad("a1 UID FROB 1\r\n") == "imap.unknown_command");
  CHECK(parse_command("+x NOOP\r\n").tag == "");
  CHECK(bad("a1  NOOP\r\n") == "imap.syntax");
  CHECK(bad("a1 NOOP") == "imap.syntax");
}

TEST_CASE("LOGIN and AUTHENTICATE", "[imap]") {
  auto l = std::get<cmd_login>(ok("a LOGIN joe \"p \\\"w\\\\\"\r\n").args);
  CHECK(l.user == "joe");
  CHECK(l.password == "p \"w\\");
  l = std::get<cmd_login>(ok("a LOGIN {3}\r\nj o {2+}\r\npw\r\n").args);
  CHECK(l.user == "j o");
  CHECK(l.password == "pw");
  CHECK(bad("a LOGIN joe\r\n") == "imap.syntax");
  CHECK(bad("a LOGIN \"a\\x\" b\r\n") == "imap.syntax");
  auto a = std::get<cmd_authenticate>(ok("a AUTHENTICATE plain AGpvZQBwdw==\r\n").args);
  CHECK(a.mechanism == "PLAIN");
  CHECK(a.initial == "AGpvZQBwdw==");
  a = std::get<cmd_authenticate>(ok("a AUTHENTICATE PLAIN =\r\n").args);
  CHECK(a.initial == "=");
  CHECK(!std::get<cmd_authenticate>(ok("a AUTHENTICATE SCRAM-SHA-256\r\n").args).initial);
  CHECK(bad("a AUTHENTICATE PLAIN a!b\r\n") == "imap.syntax");
}

TEST_CASE("ENABLE, SELECT, EXAMINE", "[imap]") {
  auto e = std::get<cmd_enable>(ok("a ENABLE utf8=accept CONDSTORE\r\n").args);
  CHECK(e.capabilities == std::vector<std::string>{"UTF8=ACCEPT", "CONDSTORE"});
  CHECK(bad("a ENABLE\r\n") == "imap.syntax");
  auto s = std::get<cmd_select>(ok("a SELECT inbox\r\n").args);
  CHECK(s.mailbox == "INBOX");
  s = std::get<cmd_select>(ok("a EXAMINE Sent (CONDSTORE)\r\n").args);
  CHECK(s.condstore);
  s = std::get<cmd_select>(ok("a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n").args);
  REQUIRE(s.qresync);
  CHECK(s.qresync->uidvalidity == 67890007);
  CHECK(s.qresync->modseq == 20050715194045000ull);
  REQUIRE(s.qresync->known_uids);
  CHECK(s.qresync->known_uids->ranges.size() == 3);
  s = std::get<cmd_select>(ok("a SELECT INBOX (QRESYNC (1 2 1:10 (1:3 4:6)))\r\n").args);
  REQUIRE(s.qresync->seq_match);
  CHECK(s.qresync->seq_match->second.ranges[0] == seq_range{4, 6});
  CHECK(bad("a SELECT INBOX (QRESYNC (0 2))\r\n") == "imap.syntax");
  CHECK(bad("a SELECT INBOX (FOO)\r\n") == "imap.syntax");
  CHECK(bad("a SELECT\r\n") == "imap.syntax");
}

TEST_CASE("mailbox names: modified UTF-7 or UTF-8", "[imap]") {
  auto m = std::get<cmd_mailbox>(ok("a CREATE Entw&APw-rfe\r\n").args);
  CHECK(m.mailbox == "Entw\xC3\xBC" "rfe");
  // An "&" that starts no valid modified base64 run is taken literally (as Dovecot does).
  CHECK(std::get<cmd_mailbox>(ok("a CREATE Entw&APw\r\n").args).mailbox == "Entw&APw");
  CHECK(std::get<cmd_mailbox>(ok("a CREATE R&D\r\n").args).mailbox == "R&D");
  CHECK(std::get<cmd_mailbox>(ok("a CREATE \"A&B-&AOQ-\"\r\n").args).mailbox == "A&B-\xC3\xA4");
  CHECK(std::get<cmd_mailbox>(ok("a CREATE a&AGE-\r\n").args).mailbox == "a&AGE-");
  CHECK(std::get<cmd_mailbox>(ok("a CREATE \"x&!-\"\r\n").args).mailbox == "x&!-");
  CHECK(bad("a CREATE \"Entw\xC3\xBCrfe\"\r\n") == "imap.mutf7");
  parse_options u;
  u.utf8_accept = true;
  m = std::get<cmd_mailbox>(ok("a CREATE \"Entw\xC3\xBCrfe\"\r\n", u).args);
  CHECK(m.mailbox == "Entw\xC3\xBCrfe");
  CHECK(std::get<cmd_mailbox>(ok("a DELETE \"a&-b\"\r\n").args).mailbox == "a&b");
  auto r = std::get<cmd_rename>(ok("a RENAME old {3+}\r\nnew\r\n").args);
  CHECK(r.from == "old");
  CHECK(r.to == "new");
  CHECK(std::get<cmd_mailbox>(ok("a SUBSCRIBE x\r\n").args).mailbox == "x");
  CHECK(std::get<cmd_mailbox>(ok("a CREATE Drafts2 (USE (\\Drafts \\Archive))\r\n").args).special_use ==
        std::vector<std::string>{"\\Drafts", "\\Archive"});
  CHECK(bad("a CREATE x (USE (Drafts))\r\n") == "imap.syntax");
  CHECK(bad("a DELETE x (USE (\\Drafts))\r\n") == "imap.syntax");
  CHECK(ok("a UNSUBSCRIBE x\r\n").name == "UNSUBSCRIBE");
  CHECK(std::get<cmd_mailbox>(ok("a GETQUOTAROOT INBOX\r\n").args).mailbox == "INBOX");
  CHECK(std::get<cmd_getquota>(ok("a GETQUOTA \"\"\r\n").args).root == "");
}

TEST_CASE("LIST, LSUB, STATUS", "[imap]") {
  auto l = std::get<cmd_list>(ok("a LIST \"\" *\r\n").args);
  CHECK(l.reference == "");
  CHECK(l.patterns == std::vector<std::string>{"*"});
  l = std::get<cmd_list>(ok("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX% Sent) RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN))\r\n").args);
  CHECK(l.selection == std::vector<std::string>{"SUBSCRIBED", "RECURSIVEMATCH"});
  CHECK(l.patterns == std::vector<std::string>{"INBOX%", "Sent"});
  CHECK(l.returns == std::vector<std::string>{"CHILDREN", "SPECIAL-USE", "STATUS"});
  CHECK(l.status_items == std::vector<std::string>{"MESSAGES", "UNSEEN"});
  l = std::get<cmd_list>(ok("a LIST \"\" \"\" RETURN ()\r\n").args);
  CHECK(l.returns.empty());
  CHECK(ok("a LSUB \"\" %\r\n").name == "LSUB");
  CHECK(bad("a LSUB (SUBSCRIBED) \"\" %\r\n") == "imap.syntax");
  CHECK(bad("a LIST \"\"\r\n") == "imap.syntax");
  auto s = std::get<cmd_status>(ok("a STATUS INBOX (MESSAGES UIDNEXT HIGHESTMODSEQ)\r\n").args);
  CHECK(s.items.size() == 3);
  CHECK(bad("a STATUS INBOX ()\r\n") == "imap.syntax");
}

TEST_CASE("APPEND with flags, date and literals", "[imap]") {
  auto a = std::get<cmd_append>(
      ok("a APPEND Sent (\\Seen $Label) \" 7-Feb-1994 21:52:25 -0800\" {5}\r\nhello\r\n").args);
  CHECK(a.mailbox == "Sent");
  REQUIRE(a.messages.size() == 1);
  CHECK(a.messages[0].flags == std::vector<std::string>{"\\Seen", "$Label"});
  REQUIRE(a.messages[0].internal_date);
  CHECK(a.messages[0].internal_date->day == date{1994, 2, 7});
  CHECK(a.messages[0].internal_date->zone_minutes == -480);
  CHECK(a.messages[0].data == "hello");
  a = std::get<cmd_append>(ok("a APPEND x {1+}\r\na ~{2}\r\n\0b\r\n"sv).args);
  REQUIRE(a.messages.size() == 2);
  CHECK(!a.messages[0].binary);
  CHECK(a.messages[1].binary);
  CHECK(a.messages[1].data == std::string("\0b", 2));
  CHECK(bad("a APPEND x\r\n") == "imap.syntax");
  CHECK(bad("a APPEND x \"hello\"\r\n") == "imap.syntax");
  CHECK(bad("a APPEND x {9}\r\nshort\r\n") == "imap.syntax");
  CHECK(bad("a APPEND x {2}\r\n\0b\r\n"sv) == "imap.syntax");
  CHECK(bad("a APPEND x \"32-Feb-1994 21:52:25 -0800\" {1}\r\na\r\n") == "imap.syntax");
}

// RFC 4469 §5: append-data =/ "CATENATE" SP "(" cat-part *(SP cat-part) ")";
// cat-part = "TEXT" SP literal / "URL" SP astring.
TEST_CASE("APPEND CATENATE", "[imap]") {
  auto a = std::get<cmd_append>(
      ok("a APPEND Drafts (\\Draft) CATENATE (URL \"/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER\" "
         "TEXT {4+}\r\n\r\nhi URL /INBOX/;UID=3)\r\n").args);
  REQUIRE(a.messages.size() == 1);
  const auto& m = a.messages[0];
  CHECK(m.flags == std::vector<std::string>{"\\Draft"});
  CHECK(m.data.empty());
  REQUIRE(m.catenate.size() == 3);
  CHECK(m.catenate[0] == cat_part{true, "/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER"});
  CHECK(m.catenate[1] == cat_part{false, "\r\nhi"});
  CHECK(m.catenate[2] == cat_part{true, "/INBOX/;UID=3"});
  // MULTIAPPEND and CATENATE together (RFC 4469 §5: append-data in each message).
  a = std::get<cmd_append>(ok("a APPEND x {1+}\r\na CATENATE (TEXT {1+}\r\nb)\r\n").args);
  REQUIRE(a.messages.size() == 2);
  CHECK(a.messages[1].catenate.size() == 1);
  CHECK(bad("a APPEND x CATENATE ()\r\n") == "imap.syntax");
  CHECK(bad("a APPEND x CATENATE (TEXT \"quoted\")\r\n") == "imap.syntax");
  CHECK(bad("a APPEND x CATENATE (BODY /INBOX/;UID=1)\r\n") == "imap.syntax");
  CHECK(bad("a APPEND x CATENATE (URL /INBOX/;UID=1\r\n") == "imap.syntax");
  std::string many = "a APPEND x CATENATE (";
  for (int i = 0; i < 300; ++i) many += (i ? " " : "") + std::string("URL /INBOX/;UID=1");
  CHECK(bad(many + ")\r\n") == "imap.limit");
}

TEST_CASE("APPEND UTF8 (literal8) after ENABLE UTF8=ACCEPT (RFC 6855 s4)", "[imap]") {
  parse_options utf8;
  utf8.utf8_accept = true;
  // Thunderbird's Sent copy: flags, then UTF8 around a non-synchronizing literal8.
  auto a = std::get<cmd_append>(
      ok("a APPEND \"Sent\" (\\Seen) UTF8 (~{6+}\r\nh\xc3\xa9llo)\r\n", utf8).args);
  REQUIRE(a.messages.size() == 1);
  CHECK(a.messages[0].utf8);
  CHECK(a.messages[0].binary);
  CHECK(a.messages[0].data == "h\xc3\xa9llo");
  CHECK(a.messages[0].flags == std::vector<std::string>{"\\Seen"});
  // With a date, synchronizing, and mixed with a plain literal in MULTIAPPEND.
  a = std::get<cmd_append>(ok("a APPEND x \" 7-Feb-1994 21:52:25 -0800\" utf8 (~{2}\r\nab) {1}\r\nc "
                              "UTF8 (~{1}\r\nd)\r\n", utf8).args);
  REQUIRE(a.messages.size() == 3);
  CHECK(a.messages[0].utf8);
  CHECK(a.messages[0].internal_date);
  CHECK(a.messages[0].data == "ab");
  CHECK(!a.messages[1].utf8);
  CHECK(a.messages[2].utf8);
  CHECK(a.messages[2].data == "d");
  // RFC 6855 §4: before ENABLE UTF8=ACCEPT it is BAD.
  CHECK(bad("a APPEND Sent UTF8 (~{2}\r\nab)\r\n") == "imap.syntax");
  // Only literal8 in the parentheses, and they must close.
  CHECK(bad("a APPEND Sent UTF8 ({2}\r\nab)\r\n", utf8) == "imap.syntax");
  CHECK(bad("a APPEND Sent UTF8 (~{2}\r\nab\r\n", utf8) == "imap.syntax");
  CHECK(bad("a APPEND Sent UTF8 ~{2}\r\nab\r\n", utf8) == "imap.syntax");
  CHECK(bad("a APPEND Sent UTF8 (\"ab\")\r\n", utf8) == "imap.syntax");
}

TEST_CASE("charset labels after ENABLE UTF8=ACCEPT (RFC 6855 s3)", "[imap]") {
  parse_options utf8;
  utf8.utf8_accept = true;
  CHECK(std::get<cmd_search>(ok("a SEARCH CHARSET ISO-8859-1 SUBJECT x\r\n").args).charset == "ISO-8859-1");
  CHECK(bad("a SEARCH CHARSET ISO-8859-1 SUBJECT x\r\n", utf8) == "imap.syntax");
  CHECK(bad("a UID SORT (DATE) KOI8-R ALL\r\n", utf8) == "imap.syntax");
  CHECK(bad("a THREAD REFERENCES ISO-8859-1 ALL\r\n", utf8) == "imap.syntax");
  CHECK(std::get<cmd_search>(ok("a SEARCH CHARSET utf-8 SUBJECT \"\xc3\xa9t\xc3\xa9\"\r\n", utf8).args).charset == "UTF-8");
  CHECK(std::get<cmd_sort>(ok("a SORT (DATE) UTF-8 ALL\r\n", utf8).args).search.charset == "UTF-8");
  CHECK(ok("a SEARCH SUBJECT \"\xc3\xa9t\xc3\xa9\"\r\n", utf8).name == "SEARCH");
  // Mailbox names: UTF-8 as is after ENABLE, modified UTF-7 before it.
  CHECK(std::get<cmd_mailbox>(ok("a CREATE \"\xc3\xa9t\xc3\xa9\"\r\n", utf8).args).mailbox == "\xc3\xa9t\xc3\xa9");
  CHECK(std::get<cmd_mailbox>(ok("a CREATE &AOk-t&AOk-\r\n").args).mailbox == "\xc3\xa9t\xc3\xa9");
  CHECK(bad("a CREATE \"\xc3\xa9t\xc3\xa9\"\r\n") != "");
  CHECK(bad("a CREATE \"\xff\"\r\n", utf8) == "imap.syntax");
}

TEST_CASE("FETCH CHANGEDSINCE 0 (Thunderbird with CONDSTORE on a new folder)", "[imap]") {
  auto f = std::get<cmd_fetch>(ok("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 0)\r\n").args);
  REQUIRE(f.changed_since);
  CHECK(*f.changed_since == 0);
  f = std::get<cmd_fetch>(ok("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 0 VANISHED)\r\n").args);
  CHECK(f.vanished);
  CHECK(bad("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE -1)\r\n") == "imap.syntax");
  CHECK(bad("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE)\r\n") == "imap.syntax");
}

TEST_CASE("sequence sets", "[imap]") {
  auto c = std::get<cmd_copy>(ok("a COPY 1:3,5,*:1,* Trash\r\n").args);
  REQUIRE(c.set.ranges.size() == 4);
  CHECK(c.set.ranges[0] == seq_range{1, 3});
  CHECK(c.set.ranges[1] == seq_range{5, 5});
  CHECK(c.set.ranges[2] == seq_range{seq_range::star, 1});
  CHECK(c.set.ranges[3] == seq_range{seq_range::star, seq_range::star});
  CHECK(std::get<cmd_copy>(ok("a UID MOVE $ Trash\r\n").args).set.saved);
  CHECK(bad("a COPY 0 Trash\r\n") == "imap.syntax");
  CHECK(bad("a COPY 1:0 Trash\r\n") == "imap.syntax");
  CHECK(bad("a COPY 1, Trash\r\n") == "imap.syntax");
  CHECK(bad("a COPY 4294967296 Trash\r\n") == "imap.syntax");
  parse_options small;
  small.max_sequence_ranges = 2;
  CHECK(bad("a COPY 1,2,3 Trash\r\n", small) == "imap.limit");
  CHECK(std::get<cmd_uid_expunge>(ok("a UID EXPUNGE 3:5\r\n").args).uids.ranges[0] == seq_range{3, 5});
  CHECK(bad("a UID EXPUNGE\r\n") == "imap.syntax");
  CHECK(ok("a UID COPY 1 x\r\n").name == "UID COPY");
}

TEST_CASE("STORE", "[imap]") {
  auto s = std::get<cmd_store>(ok("a STORE 1:* +FLAGS.SILENT (\\Deleted \\Seen)\r\n").args);
  CHECK(s.op == store_op::add);
  CHECK(s.silent);
  CHECK(s.flags.size() == 2);
  s = std::get<cmd_store>(ok("a UID STORE 7 (UNCHANGEDSINCE 12345) -flags \\Seen foo\r\n").args);
  CHECK(s.op == store_op::remove);
  CHECK(s.unchanged_since == 12345u);
  CHECK(s.flags == std::vector<std::string>{"\\Seen", "foo"});
  s = std::get<cmd_store>(ok("a STORE 1 FLAGS ()\r\n").args);
  CHECK(s.op == store_op::replace);
  CHECK(s.flags.empty());
  CHECK(bad("a STORE 1 +FLAGZ (\\Seen)\r\n") == "imap.syntax");
  CHECK(bad("a STORE 1 FLAGS\r\n") == "imap.syntax");
  // NIL is no keyword (a FETCH would show "FLAGS (NIL)"); in APPEND's flag list neither.
  CHECK(bad("a STORE 1 +FLAGS (NIL)\r\n") == "imap.syntax");
  CHECK(bad("a STORE 1 FLAGS (\\Seen nil)\r\n") == "imap.syntax");
  CHECK(bad("a APPEND INBOX (NIL) {1+}\r\nx\r\n") == "imap.syntax");
}

TEST_CASE("FETCH attributes and sections", "[imap]") {
  auto f = std::get<cmd_fetch>(ok("a FETCH 1:* ALL\r\n").args);
  CHECK(f.atts.size() == 4);
  CHECK(std::get<cmd_fetch>(ok("a FETCH 1 FAST\r\n").args).atts.size() == 3);
  CHECK(std::get<cmd_fetch>(ok("a FETCH 1 full\r\n").args).atts.size() == 5);
  f = std::get<cmd_fetch>(ok("a FETCH 2 BODY[1.2.MIME]<0.100>\r\n").args);
  REQUIRE(f.atts.size() == 1);
  CHECK(f.atts[0].name == "BODY");
  CHECK(f.atts[0].has_section);
  CHECK(f.atts[0].section.part == std::vector<std::uint32_t>{1, 2});
  CHECK(f.atts[0].section.text == "MIME");
  CHECK(f.atts[0].range == partial{0, 100});
  f = std::get<cmd_fetch>(ok("a UID FETCH 1:5 (UID FLAGS BODY.PEEK[HEADER.FIELDS (From To)] BODY[] BODYSTRUCTURE BODY RFC822.SIZE MODSEQ BINARY.PEEK[1]<5.10> BINARY.SIZE[2] ENVELOPE INTERNALDATE)\r\n").args);
  REQUIRE(f.atts.size() == 12);
  CHECK(f.atts[2].peek);
  CHECK(f.atts[2].section.text == "HEADER.FIELDS");
  CHECK(f.atts[2].section.fields == std::vector<std::string>{"From", "To"});
  CHECK(f.atts[3].has_section);
  CHECK(f.atts[3].section.text.empty());
  CHECK(!f.atts[5].has_section);
  CHECK(f.atts[8].name == "BINARY");
  CHECK(f.atts[8].peek);
  CHECK(f.atts[9].name == "BINARY.SIZE");
  f = std::get<cmd_fetch>(ok("a FETCH 1 BODY[HEADER.FIELDS.NOT (Received)]\r\n").args);
  CHECK(f.atts[0].section.text == "HEADER.FIELDS.NOT");
  f = std::get<cmd_fetch>(ok("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n").args);
  CHECK(f.changed_since == 12345u);
  CHECK(f.vanished);
  CHECK(bad("a FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)\r\n") == "imap.syntax");
  CHECK(bad("a FETCH 1 BODY[MIME]\r\n") == "imap.syntax");
  CHECK(bad("a FETCH 1 BINARY[HEADER]\r\n") == "imap.syntax");
  CHECK(bad("a FETCH 1 BODY[1]<0.0>\r\n") == "imap.syntax");
  CHECK(bad("a FETCH 1 BODY[1\r\n") == "imap.syntax");
  CHECK(bad("a FETCH 1 FOO\r\n") == "imap.syntax");
  CHECK(bad("a FETCH 1 ()\r\n") == "imap.syntax");
  CHECK(bad("a FETCH 0 FLAGS\r\n") == "imap.syntax");
}

TEST_CASE("SEARCH grammar", "[imap]") {
  auto s = std::get<cmd_search>(ok("a SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n").args);
  REQUIRE(s.key.children.size() == 3);
  CHECK(s.key.children[1].on == date{1994, 2, 1});
  CHECK(s.key.children[2].name == "NOT");
  CHECK(s.key.children[2].children[0].text == "Smith");
  s = std::get<cmd_search>(ok("a UID SEARCH RETURN (MIN COUNT SAVE) CHARSET utf-8 OR (UNSEEN LARGER 100) NOT (OR SUBJECT x HEADER List-Id y) 1:5,* UID $ MODSEQ \"/flags/\\\\Seen\" all 620162338\r\n").args);
  CHECK(s.has_return);
  CHECK(s.returns == std::vector<std::string>{"MIN", "COUNT", "SAVE"});
  CHECK(s.charset == "UTF-8");
  REQUIRE(s.key.children.size() == 4);
  auto& orr = s.key.children[0];
  CHECK(orr.name == "OR");
  CHECK(orr.children[0].name == "AND");
  CHECK(orr.children[0].children[1].number == 100u);
  CHECK(orr.children[1].children[0].children[0].children[1].text2 == "y");
  CHECK(s.key.children[1].name == "SEQSET");
  CHECK(s.key.children[2].set.saved);
  CHECK(s.key.children[3].text == "/flags/\\Seen");
  CHECK(s.key.children[3].number == 620162338u);
  CHECK(std::get<cmd_search>(ok("a SEARCH RETURN () ALL\r\n").args).returns.empty());
  CHECK(bad("a SEARCH\r\n") == "imap.syntax");
  CHECK(bad("a SEARCH FROB\r\n") == "imap.syntax");
  CHECK(bad("a SEARCH OR ALL\r\n") == "imap.syntax");
  CHECK(bad("a SEARCH (ALL\r\n") == "imap.syntax");
  CHECK(bad("a SEARCH BEFORE 1-Foo-2020\r\n") == "imap.syntax");
  CHECK(bad("a SEARCH RETURN (BOGUS) ALL\r\n") == "imap.syntax");
  std::string deep = "a SEARCH ";
  for (int i = 0; i < 100; ++i) deep += "NOT ";
  deep += "ALL\r\n";
  CHECK(bad(deep) == "imap.limit");
}

TEST_CASE("ID", "[imap]") {
  auto i = std::get<cmd_id>(ok("a ID (\"name\" \"Thunderbird\" \"version\" NIL)\r\n").args);
  REQUIRE(i.params);
  REQUIRE(i.params->size() == 2);
  CHECK((*i.params)[0].second == "Thunderbird");
  CHECK(!(*i.params)[1].second);
  CHECK(!std::get<cmd_id>(ok("a ID NIL\r\n").args).params);
  CHECK(bad("a ID (\"name\")\r\n") == "imap.syntax");
}

TEST_CASE("SORT, THREAD, COMPRESS, CHECK", "[imap]") {
  auto s = ok("a UID SORT (REVERSE DATE SUBJECT) UTF-8 FROM bob UNSEEN\r\n");
  CHECK(s.name == "UID SORT");
  const auto& so = std::get<cmd_sort>(s.args);
  CHECK(so.criteria == std::vector<std::string>{"REVERSE", "DATE", "SUBJECT"});
  CHECK(so.search.charset == "UTF-8");
  REQUIRE(so.search.key.children.size() == 2);
  CHECK(so.search.key.children[0].name == "FROM");
  auto t = ok("b THREAD references us-ascii ALL\r\n");
  CHECK(std::get<cmd_thread>(t.args).algorithm == "REFERENCES");
  CHECK(std::get<cmd_compress>(ok("c COMPRESS deflate\r\n").args).mechanism == "DEFLATE");
  CHECK(ok("d CHECK\r\n").name == "CHECK");
  CHECK(bad("e SORT (REVERSE) UTF-8 ALL\r\n") == "imap.syntax");
  CHECK(bad("f SORT (NOPE) UTF-8 ALL\r\n") == "imap.syntax");
  CHECK(bad("g SORT (DATE) UTF-8\r\n") == "imap.syntax");
  CHECK(bad("h THREAD REFERENCES\r\n") == "imap.syntax");
}

// RFC 8474 §7: fetch-att =/ "EMAILID" / "THREADID"; search-key =/ "EMAILID" SP objectid /
// "THREADID" SP objectid, objectid = 1*255(ALPHA / DIGIT / "_" / "-").
TEST_CASE("OBJECTID grammar", "[imap]") {
  auto f = std::get<cmd_fetch>(ok("a FETCH 1 (EMAILID THREADID)\r\n").args);
  REQUIRE(f.atts.size() == 2);
  CHECK(f.atts[0].name == "EMAILID");
  CHECK(f.atts[1].name == "THREADID");
  auto s = std::get<cmd_search>(ok("a SEARCH EMAILID M6d99ac3275bb4e THREADID T64b4_78-a\r\n").args);
  REQUIRE(s.key.children.size() == 2);
  CHECK(s.key.children[0].name == "EMAILID");
  CHECK(s.key.children[0].text == "M6d99ac3275bb4e");
  CHECK(s.key.children[1].text == "T64b4_78-a");
  CHECK(bad("a SEARCH EMAILID M.1\r\n") == "imap.syntax");
  CHECK(bad("a SEARCH THREADID\r\n") == "imap.syntax");
  CHECK(bad("a SEARCH EMAILID " + std::string(256, 'a') + "\r\n") == "imap.syntax");
  CHECK(ok("a SEARCH EMAILID " + std::string(255, 'a') + "\r\n").name == "SEARCH");
}

// RFC 8514 §5: fetch-att =/ "SAVEDATE"; search-key =/ "SAVEDBEFORE" SP date / "SAVEDON" SP date /
// "SAVEDSINCE" SP date / "SAVEDATESUPPORTED".
TEST_CASE("SAVEDATE grammar", "[imap]") {
  CHECK(std::get<cmd_fetch>(ok("a FETCH 1 SAVEDATE\r\n").args).atts.at(0).name == "SAVEDATE");
  auto s = std::get<cmd_search>(ok("a SEARCH SAVEDBEFORE 1-Feb-1994 SAVEDON 02-Feb-1994 SAVEDSINCE 3-Feb-1994 SAVEDATESUPPORTED\r\n").args);
  REQUIRE(s.key.children.size() == 4);
  CHECK(s.key.children[0].name == "SAVEDBEFORE");
  CHECK(s.key.children[0].on == date{1994, 2, 1});
  CHECK(s.key.children[1].on == date{1994, 2, 2});
  CHECK(s.key.children[2].name == "SAVEDSINCE");
  CHECK(s.key.children[3].name == "SAVEDATESUPPORTED");
  CHECK(bad("a SEARCH SAVEDON\r\n") == "imap.syntax");
  CHECK(bad("a SEARCH SAVEDON 32-Feb-1994\r\n") == "imap.syntax");
}

// RFC 8970: fetch-att =/ "PREVIEW" [SP "(" preview-mod *(SP preview-mod) ")"], preview-mod = "LAZY".
TEST_CASE("PREVIEW grammar", "[imap]") {
  auto f = std::get<cmd_fetch>(ok("a FETCH 1 (PREVIEW (LAZY) UID)\r\n").args);
  REQUIRE(f.atts.size() == 2);
  CHECK(f.atts[0].name == "PREVIEW");
  CHECK(f.atts[1].name == "UID");
  CHECK(std::get<cmd_fetch>(ok("a FETCH 1 preview (lazy)\r\n").args).atts.at(0).name == "PREVIEW");
  // Without parentheses around the attributes, a following list is the fetch modifiers.
  auto m = std::get<cmd_fetch>(ok("a FETCH 1 PREVIEW (CHANGEDSINCE 5)\r\n").args);
  CHECK(m.atts.at(0).name == "PREVIEW");
  CHECK(m.changed_since == 5u);
  CHECK(bad("a FETCH 1 (PREVIEW (LAZY FUZZY))\r\n") == "imap.syntax");
  CHECK(bad("a FETCH 1 (PREVIEW ())\r\n") == "imap.syntax");
}

// The parser finds every command through commands.def: each name there reaches its own
// argument parser (a bare name is either complete or a syntax error, never "unknown"), and a
// name that is not there is unknown, with or without UID.
TEST_CASE("every command in the table is parsed, nothing else", "[imap]") {
  std::set<std::string> seen;
  for (const auto& e : all_syntax()) {
    INFO(e.name);
    CHECK(seen.insert(std::string(e.name)).second);  // one line per name
    CHECK(e.states != 0);
    auto p = parse_command("t " + std::string(e.name) + "\r\n");
    if (p.cmd) {
      CHECK(p.cmd->name == e.name);
    } else {
      CHECK(p.cmd.error().code == "imap.syntax");
    }
  }
  CHECK(seen.count("UID FETCH") == 1);
  CHECK(bad("t UID NOOP\r\n") == "imap.unknown_command");
  CHECK(bad("t UID UID FETCH 1 FLAGS\r\n") == "imap.unknown_command");
  CHECK(bad("t XYZZY\r\n") == "imap.unknown_command");
  // The states are RFC 9051 §6's command groups.
  CHECK(find_syntax("LOGIN")->states == in_not_auth);
  CHECK(find_syntax("CAPABILITY")->states == in_any);
  CHECK(find_syntax("SELECT")->states == in_logged_in);
  CHECK(find_syntax("UID FETCH")->states == in_selected);
  // RFC 9051 §7.5.1: no EXPUNGE during FETCH, STORE, SEARCH (by sequence number).
  CHECK_FALSE(find_syntax("FETCH")->allows_expunge);
  CHECK(find_syntax("UID FETCH")->allows_expunge);
}

TEST_CASE("RETURN takes one PARTIAL or one ALL", "[imap]") {
  // RFC 5267 §4.4: "either one PARTIAL, one ALL, or neither PARTIAL nor ALL is allowed".
  CHECK(std::get<cmd_search>(ok("t SEARCH RETURN (COUNT PARTIAL 1:5) ALL\r\n").args).partial ==
        std::pair<std::uint32_t, std::uint32_t>{1, 5});
  CHECK(std::get<cmd_sort>(ok("t SORT RETURN (ALL COUNT) (DATE) UTF-8 ALL\r\n").args).search.returns.size() == 2);
  CHECK(bad("t SEARCH RETURN (ALL PARTIAL 1:5) ALL\r\n") == "imap.syntax");
  CHECK(bad("t UID SEARCH RETURN (PARTIAL 1:5 PARTIAL 6:9) ALL\r\n") == "imap.syntax");
  CHECK(bad("t SORT RETURN (PARTIAL 1:5 ALL) (DATE) UTF-8 ALL\r\n") == "imap.syntax");
}
