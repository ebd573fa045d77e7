#include "mail/imap/client/response.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::imap::client;

namespace {

// Feeds `input` `chunk` octets at a time; returns every framed response.
std::vector<std::string> frame(std::string_view input, std::size_t chunk, limits l = {}) {
  framer f(l);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    f.feed(input.substr(i, chunk));
    for (;;) {
      auto r = f.next();
      REQUIRE(r);
      if (!*r) break;
      out.push_back(**r);
    }
  }
  return out;
}

response parse(std::string_view s) {
  auto r = parse_response(s);
  REQUIRE(r);
  return *r;
}

}  // namespace

TEST_CASE("responses with literals are framed whole, at every chunk size", "[imap_client]") {
  const std::string_view input =
      "* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n"
      "* 1 FETCH (UID 7 BODY[] {12}\r\nab\r\n\r\ncd\r\n{} FLAGS (\\Seen))\r\n"
      "* 2 FETCH (UID 8 BODY[HEADER.FIELDS (MESSAGE-ID)] {0}\r\n)\r\n"
      "a1 OK done\r\n";
  for (std::size_t chunk : {1, 2, 3, 7, 100}) {
    auto out = frame(input, chunk);
    REQUIRE(out.size() == 4);
    CHECK(out[1] == "* 1 FETCH (UID 7 BODY[] {12}\r\nab\r\n\r\ncd\r\n{} FLAGS (\\Seen))\r\n");
    CHECK(out[3] == "a1 OK done\r\n");
  }
}

TEST_CASE("the framer enforces its limits", "[imap_client]") {
  limits l;
  l.max_line = 20;
  l.max_literal = 10;
  framer f(l);
  f.feed("* 1 FETCH (BODY[] {11}\r\n");
  auto r = f.next();
  REQUIRE(!r);
  CHECK(r.error().code == "imap.limit");
  framer g(l);
  g.feed("* OK this line goes on and on without an end");
  auto r2 = g.next();
  REQUIRE(!r2);
  CHECK(r2.error().code == "imap.limit");
  framer h(l);
  h.feed("* 1 FETCH (BODY[] {99999999999999999999}\r\n");
  CHECK(!h.next());
}

TEST_CASE("status, data and continuation responses", "[imap_client]") {
  auto r = parse("a7 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
  CHECK(r.k == response::kind::tagged);
  CHECK(r.tag == "a7");
  CHECK(r.status == "NO");
  CHECK(r.code == "AUTHENTICATIONFAILED");
  CHECK(r.text == "Authentication failed.");

  r = parse("* OK [UIDVALIDITY 3857529045] UIDs valid\r\n");
  CHECK(r.status == "OK");
  CHECK(r.code == "UIDVALIDITY");
  CHECK(r.code_args == "3857529045");

  r = parse("* 23 EXISTS\r\n");
  CHECK(r.name == "EXISTS");
  CHECK(r.number == 23u);

  r = parse("+ \r\n");
  CHECK(r.k == response::kind::continuation);

  r = parse("* CAPABILITY IMAP4rev1 X-GM-EXT-1 AUTH=PLAIN uidplus\r\n");
  auto caps = capabilities(r);
  CHECK(caps == std::vector<std::string>{"IMAP4REV1", "X-GM-EXT-1", "AUTH=PLAIN", "UIDPLUS"});
  CHECK(capabilities(parse("* OK [CAPABILITY IMAP4rev1 ENABLE] hi\r\n")).size() == 2);

  CHECK(!parse_response("* 1 FETCH (UID 1\r\n"));
  CHECK(!parse_response("* 1 FETCH (UID 1))\r\n"));
  CHECK(!parse_response("a1 MAYBE\r\n"));
  CHECK(!parse_response("* LIST (\\X) \"/\" \"unterminated\r\n"));
  CHECK(!parse_response("no crlf"));
}

TEST_CASE("LIST entries: attributes, delimiter, quoted and literal names", "[imap_client]") {
  auto e = parse_list(parse("* LIST (\\HasNoChildren \\All) \"/\" \"[Gmail]/All Mail\"\r\n"));
  REQUIRE(e);
  CHECK(e->has_attribute("\\all"));
  CHECK(e->delimiter == '/');
  CHECK(e->name == "[Gmail]/All Mail");
  e = parse_list(parse("* LIST () NIL {5}\r\nA\"b c\r\n"));
  REQUIRE(e);
  CHECK(!e->delimiter);
  CHECK(e->name == "A\"b c");
  e = parse_list(parse("* LIST (\\Noselect) \".\" INBOX.Sub\r\n"));
  REQUIRE(e);
  CHECK(e->name == "INBOX.Sub");
  CHECK(!parse_list(parse("* LIST \"/\" x\r\n")));
}

TEST_CASE("FETCH items a copy needs, Gmail's included", "[imap_client]") {
  auto f = parse_fetch(parse(
      "* 12 FETCH (X-GM-MSGID 1278455344230334865 X-GM-LABELS (\\Inbox \"My label\" Work/Sub) UID 42 "
      "FLAGS (\\Seen $Forwarded) INTERNALDATE \" 7-Feb-2024 09:05:01 +0100\" RFC822.SIZE 5 BODY[] {5}\r\nhello)\r\n"));
  REQUIRE(f);
  CHECK(f->seq == 12);
  CHECK(f->uid == 42u);
  CHECK(*f->flags == std::vector<std::string>{"\\Seen", "$Forwarded"});
  CHECK(f->internal_date == 1707293101);
  CHECK(f->size == 5u);
  CHECK(*f->body == "hello");
  CHECK(f->gm_msgid == "1278455344230334865");
  CHECK(*f->gm_labels == std::vector<std::string>{"\\Inbox", "My label", "Work/Sub"});
  f = parse_fetch(parse("* 1 FETCH (UID 3 BODY[HEADER.FIELDS (MESSAGE-ID)] {4}\r\nab\r\n MODSEQ (5))\r\n"));
  REQUIRE(f);
  CHECK(*f->header == "ab\r\n");
  CHECK(!parse_fetch(parse("* 1 FETCH (UID)\r\n")));
  CHECK(!parse_fetch(parse("* 1 FETCH (UID 0)\r\n")));
  CHECK(!parse_fetch(parse("* 1 FETCH (INTERNALDATE \"yesterday\")\r\n")));
}

TEST_CASE("SEARCH and ESEARCH results", "[imap_client]") {
  auto s = parse_search(parse("* SEARCH 2 3 10\r\n"));
  REQUIRE(s);
  CHECK(*s == std::vector<std::uint32_t>{2, 3, 10});
  s = parse_search(parse("* ESEARCH (TAG \"a5\") UID ALL 1:3,9\r\n"));
  REQUIRE(s);
  CHECK(*s == std::vector<std::uint32_t>{1, 2, 3, 9});
  auto big = parse_search(parse("* ESEARCH (TAG \"a5\") UID ALL 1:4294967295\r\n"), 1000);
  REQUIRE(!big);
  CHECK(big.error().code == "imap.limit");
}

TEST_CASE("dates and command pieces", "[imap_client]") {
  CHECK(parse_date_time("17-Jul-1996 02:44:25 -0700").value() == 837596665);
  CHECK(!parse_date_time("17-Jux-1996 02:44:25 -0700"));
  CHECK(format_date(837596665) == "17-Jul-1996");
  CHECK(format_date(0) == "1-Jan-1970");
  CHECK(quoted("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(!quoted("a\r\nb"));
  CHECK(!quoted("caf\xc3\xa9"));
  CHECK(quoted("caf\xc3\xa9", true));
  CHECK(uid_set({1, 2, 3, 5, 7, 8}) == "1:3,5,7:8");
}
