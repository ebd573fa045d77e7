#include "dav/server/sharing.hpp"

using namespace hearth::dav;

namespace {
const char* ns = R"(xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/")";
}

TEST_CASE("principal_of: mailto and principal URLs") {
  CHECK(principal_of("mailto:Bob@X.test") == "bob@x.test");
  CHECK(principal_of(" /dav/principals/bob%40x.test/ ") == "bob@x.test");
  CHECK(principal_of("https://h.test/dav/principals/bob@x.test/") == "bob@x.test");
  CHECK_FALSE(principal_of("/dav/calendars/bob@x.test/"));
  CHECK_FALSE(principal_of("mailto:nobody"));
  CHECK_FALSE(principal_of("/dav/principals/a@b/c/"));
}

TEST_CASE("parse_acl: read and read-write grants, the owner's ACE left out") {
  std::string body = std::string("<D:acl ") + ns + R"(>
    <D:ace><D:principal><D:href>/dav/principals/a@x.test/</D:href></D:principal>
      <D:grant><D:privilege><D:all/></D:privilege></D:grant></D:ace>
    <D:ace><D:principal><D:href>/dav/principals/b@x.test/</D:href></D:principal>
      <D:grant><D:privilege><D:read/></D:privilege></D:grant></D:ace>
    <D:ace><D:principal><D:href>mailto:c@x.test</D:href></D:principal>
      <D:grant><D:privilege><D:read/></D:privilege><D:privilege><D:write/></D:privilege></D:grant></D:ace>
  </D:acl>)";
  auto g = parse_acl(body, "a@x.test");
  REQUIRE(g);
  REQUIRE(g->size() == 2);
  CHECK(g->at(0).principal == "b@x.test");
  CHECK(g->at(0).access == share_access::read);
  CHECK(g->at(1).principal == "c@x.test");
  CHECK(g->at(1).access == share_access::write);
}

TEST_CASE("parse_acl: what a share cannot express is refused with its precondition") {
  auto ace = [](const std::string& inner) { return std::string("<D:acl ") + ns + "><D:ace>" + inner + "</D:ace></D:acl>"; };
  CHECK(parse_acl(ace("<D:principal><D:href>mailto:b@x.test</D:href></D:principal><D:deny><D:privilege><D:read/>"
                      "</D:privilege></D:deny>"), "a@x.test").error().code == "dav.acl.grant-only");
  CHECK(parse_acl(ace("<D:principal><D:all/></D:principal><D:grant><D:privilege><D:read/></D:privilege></D:grant>"),
                  "a@x.test").error().code == "dav.acl.allowed-principal");
  CHECK(parse_acl(ace("<D:principal><D:href>mailto:b@x.test</D:href></D:principal><D:grant><D:privilege><D:write-acl/>"
                      "</D:privilege></D:grant>"), "a@x.test").error().code == "dav.acl.not-supported-privilege");
  std::string many = std::string("<D:acl ") + ns + ">";
  for (int i = 0; i <= 100; ++i)
    many += "<D:ace><D:principal><D:href>mailto:u" + std::to_string(i) +
            "@x.test</D:href></D:principal><D:grant><D:privilege><D:read/></D:privilege></D:grant></D:ace>";
  CHECK(parse_acl(many + "</D:acl>", "a@x.test").error().code == "dav.acl.no-ace-conflict");
  CHECK(parse_acl("<x/>", "a@x.test").error().code == "dav.body");
}

TEST_CASE("parse_share: CalendarServer and draft bodies") {
  auto g = parse_share(std::string("<CS:share ") + ns + R"(><CS:set><D:href>mailto:b@x.test</D:href><CS:summary>s</CS:summary>
    <CS:read-write/></CS:set><CS:remove><D:href>mailto:c@x.test</D:href></CS:remove></CS:share>)");
  REQUIRE(g);
  REQUIRE(g->size() == 2);
  CHECK(g->at(0).access == share_access::write);
  CHECK(g->at(1).principal == "c@x.test");
  CHECK(g->at(1).access == share_access::none);
  g = parse_share(std::string("<D:share-resource ") + ns + R"(><D:sharee><D:href>/dav/principals/b@x.test/</D:href>
    <D:share-access><D:read/></D:share-access></D:sharee></D:share-resource>)");
  REQUIRE(g);
  REQUIRE(g->size() == 1);
  CHECK(g->at(0).access == share_access::read);
  CHECK_FALSE(parse_share(std::string("<CS:share ") + ns + "><CS:set><D:href>mailto:b@x.test</D:href></CS:set></CS:share>"));
  CHECK_FALSE(parse_share(std::string("<CS:share ") + ns + "><CS:set><D:href>nobody</D:href><CS:read/></CS:set></CS:share>"));
}

TEST_CASE("parse_invite_reply: CalendarServer's answer to a sharing invitation") {
  auto r = parse_invite_reply(std::string("<CS:invite-reply ") + ns + R"(><D:href>mailto:b@x.test</D:href>
    <CS:invite-accepted/><CS:hosturl><D:href>/dav/calendars/a@x.test/personal/</D:href></CS:hosturl>
    <CS:in-reply-to> 0123abcd </CS:in-reply-to><CS:summary>Family</CS:summary></CS:invite-reply>)");
  REQUIRE(r);
  CHECK(r->accept);
  CHECK(r->in_reply_to == "0123abcd");
  CHECK(r->hosturl == "/dav/calendars/a@x.test/personal/");
  r = parse_invite_reply(std::string("<CS:invite-reply ") + ns + "><CS:invite-declined/><CS:in-reply-to>u</CS:in-reply-to></CS:invite-reply>");
  REQUIRE(r);
  CHECK_FALSE(r->accept);
  // Both answers, neither, no id, an id too long, another document: refused.
  CHECK_FALSE(parse_invite_reply(std::string("<CS:invite-reply ") + ns +
                                 "><CS:invite-accepted/><CS:invite-declined/><CS:in-reply-to>u</CS:in-reply-to></CS:invite-reply>"));
  CHECK_FALSE(parse_invite_reply(std::string("<CS:invite-reply ") + ns + "><CS:in-reply-to>u</CS:in-reply-to></CS:invite-reply>"));
  CHECK_FALSE(parse_invite_reply(std::string("<CS:invite-reply ") + ns + "><CS:invite-accepted/></CS:invite-reply>"));
  CHECK_FALSE(parse_invite_reply(std::string("<CS:invite-reply ") + ns + "><CS:invite-accepted/><CS:in-reply-to>" +
                                 std::string(300, 'a') + "</CS:in-reply-to></CS:invite-reply>"));
  CHECK_FALSE(parse_invite_reply(std::string("<CS:share ") + ns + "/>"));
  CHECK_FALSE(parse_invite_reply("not xml"));
}
