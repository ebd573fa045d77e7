#include <catch2/catch.hpp>

#include "mail/message/message.hpp"

using namespace hearth::mail;

TEST_CASE("mailboxes, display names, quoted strings and comments", "[address]") {
  auto l = parse_address_list(
      "\"Doe, John\" <john.doe@example.org>, plain@example.net,\r\n"
      " Mary Smith (the boss) <mary@x.example>, (c) pete(his)@(and)silly.test (tail),\r\n"
      " \"quoted local\"@example.com, =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>,"
      " John Q. Public <jqp@example.com>");
  CHECK_FALSE(l.malformed);
  auto mb = l.mailboxes();
  REQUIRE(mb.size() == 7);
  CHECK(mb[0].display_name == "Doe, John");
  CHECK(mb[0].local_part == "john.doe");
  CHECK(mb[0].domain == "example.org");
  CHECK(mb[1].display_name.empty());
  CHECK(mb[1].addr_spec() == "plain@example.net");
  CHECK(mb[2].display_name == "Mary Smith");
  CHECK(mb[3].local_part == "pete");
  CHECK(mb[3].display_name == "tail");  // a trailing comment names a bare addr-spec
  CHECK(mb[3].domain == "silly.test");
  CHECK(mb[4].local_part == "quoted local");
  CHECK(mb[4].addr_spec() == "\"quoted local\"@example.com");
  CHECK(mb[5].display_name == "Andr\xC3\xA9 Pirard");
  CHECK(mb[5].domain == "vm1.ulg.ac.be");
  CHECK(mb[6].display_name == "John Q. Public");  // obs-phrase with a dot
}

TEST_CASE("a trailing comment is the display name of a bare addr-spec", "[address]") {
  auto l = parse_address_list(
      "user@example.org (Real Name), b@example.org ( =?utf-8?q?J=C3=B6rg?= (x) ) , c@example.org,"
      " Named <d@example.org> (not this), e@example.org (\\(esc\\) \r\n folded)");
  auto mb = l.mailboxes();
  REQUIRE(mb.size() == 5);
  CHECK(mb[0].display_name == "Real Name");
  CHECK(mb[0].addr_spec() == "user@example.org");
  CHECK(mb[1].display_name == "J\xC3\xB6rg (x)");
  CHECK(mb[2].display_name.empty());
  CHECK(mb[3].display_name == "Named");
  CHECK(mb[4].display_name == "(esc)  folded");
}

TEST_CASE("groups, empty groups and obsolete forms", "[address]") {
  // RFC 5322 Appendix A.1.3 and A.6.
  auto l = parse_address_list(
      "A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, Undisclosed recipients:;,"
      " <@route1.test,@route2.test:jdoe@example.net>, \"Joe Q. Public\" <john . q . public @ example . com>");
  CHECK_FALSE(l.malformed);
  REQUIRE(l.entries.size() == 4);
  CHECK(l.entries[0].is_group);
  CHECK(l.entries[0].group_name == "A Group");
  REQUIRE(l.entries[0].members.size() == 3);
  CHECK(l.entries[0].members[0].display_name == "Ed Jones");
  CHECK(l.entries[0].members[1].addr_spec() == "joe@where.test");
  CHECK(l.entries[1].is_group);
  CHECK(l.entries[1].group_name == "Undisclosed recipients");
  CHECK(l.entries[1].members.empty());
  CHECK(l.entries[2].mailbox.route == "@route1.test,@route2.test");
  CHECK(l.entries[2].mailbox.addr_spec() == "jdoe@example.net");
  CHECK(l.entries[3].mailbox.addr_spec() == "john.q.public@example.com");
  CHECK(l.mailboxes().size() == 5);
}

TEST_CASE("malformed address lists give what can be read", "[address]") {
  auto a = parse_address_list("undisclosed-recipients");
  CHECK(a.malformed);
  REQUIRE(a.entries.size() == 1);
  CHECK(a.entries[0].mailbox.domain.empty());
  auto b = parse_address_list("good@x.test, <<>>@@, other@y.test");
  CHECK(b.malformed);
  auto mb = b.mailboxes();
  REQUIRE(mb.size() >= 2);
  CHECK(mb.front().addr_spec() == "good@x.test");
  CHECK(mb.back().addr_spec() == "other@y.test");
  auto c = parse_address_list("Name <unterminated@x.test");
  CHECK(c.malformed);
  REQUIRE(c.mailboxes().size() == 1);
  CHECK(c.mailboxes()[0].domain == "x.test");
  auto d = parse_address_list("((((unbalanced comment a@b.test");
  CHECK(d.malformed);
  CHECK(parse_address_list("").entries.empty());
  CHECK(parse_address_list(" , ,").entries.empty());
  auto e = parse_address_list("<>");
  REQUIRE(e.entries.size() == 1);
  CHECK(e.entries[0].mailbox.local_part.empty());
}

TEST_CASE("address count is limited", "[address]") {
  std::string s;
  for (int i = 0; i < 1200; ++i) s += "u" + std::to_string(i) + "@x.test,";
  auto l = parse_address_list(s);
  CHECK(l.truncated);
  CHECK(l.mailboxes().size() == max_addresses);
}
