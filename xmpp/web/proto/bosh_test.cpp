// XEP-0124/0206 bodies and the rid window.
#include "xmpp/web/proto/bosh.hpp"

#include <catch2/catch.hpp>

using namespace hearth::xmpp;
using namespace hearth::xmpp::web;

TEST_CASE("bosh: session creation and restart requests") {
  auto r = parse_bosh("<body content='text/xml; charset=utf-8' hold='1' rid='1573741820' to='example.test' ver='1.6' "
                      "wait='60' xml:lang='en' xmpp:version='1.0' xmlns='http://jabber.org/protocol/httpbind' "
                      "xmlns:xmpp='urn:xmpp:xbosh'/>",
                      {});
  REQUIRE(r.error.empty());
  CHECK(*r.rid == 1573741820);
  CHECK(r.sid.empty());
  CHECK(r.to == "example.test");
  CHECK(r.wait == 60);
  CHECK(r.hold == 1);
  CHECK_FALSE(r.restart);
  auto rs = parse_bosh("<body rid='2' sid='abc' to='example.test' xml:lang='en' xmpp:restart='true' "
                       "xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'/>",
                       {});
  CHECK(rs.restart);
  CHECK(rs.sid == "abc");
  // The prefix must be bound to urn:xmpp:xbosh.
  auto other = parse_bosh("<body rid='2' sid='abc' x:restart='true' xmlns='http://jabber.org/protocol/httpbind' "
                          "xmlns:x='urn:example'/>",
                          {});
  CHECK_FALSE(other.restart);
  auto term = parse_bosh("<body rid='3' sid='abc' type='terminate' xmlns='http://jabber.org/protocol/httpbind'>"
                         "<presence type='unavailable' xmlns='jabber:client'/></body>",
                         {});
  CHECK(term.type == "terminate");
  REQUIRE(term.payloads.size() == 1);
}

TEST_CASE("bosh: payloads, namespaces and errors") {
  auto r = parse_bosh("<body rid='5' sid='s' xmlns='http://jabber.org/protocol/httpbind'>\n"
                      "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGEAYg==</auth>"
                      "<message to='b@x'><body>hi</body></message></body>",
                      {});
  REQUIRE(r.error.empty());
  REQUIRE(r.payloads.size() == 2);
  CHECK(r.payloads[0].ns == "urn:ietf:params:xml:ns:xmpp-sasl");
  CHECK(r.payloads[1].ns == "jabber:client");  // written without a namespace
  CHECK(r.payloads[1].child("body", "jabber:client"));
  CHECK_FALSE(parse_bosh("<body xmlns='http://jabber.org/protocol/httpbind'/>", {}).error.empty());  // no rid
  CHECK_FALSE(parse_bosh("<body rid='x' xmlns='http://jabber.org/protocol/httpbind'/>", {}).error.empty());
  CHECK_FALSE(parse_bosh("<body rid='9007199254740992' xmlns='http://jabber.org/protocol/httpbind'/>", {}).error.empty());
  CHECK_FALSE(parse_bosh("<body rid='1'/>", {}).error.empty());  // wrong namespace
  CHECK_FALSE(parse_bosh("<body rid='1' xmlns='http://jabber.org/protocol/httpbind'>", {}).error.empty());
  CHECK_FALSE(parse_bosh("<body rid='1' xmlns='http://jabber.org/protocol/httpbind'/><body/>", {}).error.empty());
  CHECK_FALSE(parse_bosh("<!DOCTYPE b><body rid='1' xmlns='http://jabber.org/protocol/httpbind'/>", {}).error.empty());
  CHECK_FALSE(parse_bosh("", {}).error.empty());
}

TEST_CASE("bosh: response bodies") {
  bosh_params p;
  p.sid = "S";
  p.from = "example.test";
  p.authid = "A";
  auto c = bosh_created(p, {"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"});
  CHECK(c.find("sid='S'") != std::string::npos);
  CHECK(c.find("requests='2'") != std::string::npos);
  CHECK(c.find("xmpp:version='1.0'") != std::string::npos);
  CHECK(c.find("<stream:features") != std::string::npos);
  CHECK(bosh_body({"<message to='a@x'/>"}) ==
        "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' "
        "xmlns:stream='http://etherx.jabber.org/streams'><message xmlns='jabber:client' to='a@x'/></body>");
  CHECK(bosh_terminate("item-not-found").find("type='terminate' condition='item-not-found'/>") != std::string::npos);
  // What we send parses back as a body (the client's view).
  auto back = parse_bosh(bosh_body({"<message to='a@x'/>"}).insert(6, "rid='1' "), {});
  CHECK(back.error.empty());
}

TEST_CASE("bosh: the rid window") {
  CHECK(check_rid(11, 10, 2) == rid_verdict::process);
  CHECK(check_rid(12, 10, 2) == rid_verdict::wait);
  CHECK(check_rid(13, 10, 2) == rid_verdict::reject);
  CHECK(check_rid(10, 10, 2) == rid_verdict::resend);
  CHECK(check_rid(9, 10, 2) == rid_verdict::resend);
  CHECK(check_rid(8, 10, 2) == rid_verdict::reject);
  CHECK(check_rid(1, 1000, 2) == rid_verdict::reject);
}

TEST_CASE("bosh: polling faster than allowed (XEP-0124 §11)", "[bosh]") {
  CHECK(polling_too_frequent(true, true, true, 0.5, 2));
  CHECK_FALSE(polling_too_frequent(true, true, true, 2.5, 2));   // waited long enough
  CHECK_FALSE(polling_too_frequent(false, true, true, 0.5, 2));  // carries something
  CHECK_FALSE(polling_too_frequent(true, false, true, 0.5, 2));  // the one before carried something
  CHECK_FALSE(polling_too_frequent(true, true, false, 0.5, 2));  // the one before got something back
  CHECK(parse_bosh("<body xmlns='http://jabber.org/protocol/httpbind' rid='5' to='a.test'/>", {}).hold == 1);
  CHECK(parse_bosh("<body xmlns='http://jabber.org/protocol/httpbind' rid='5' hold='0' to='a.test'/>", {}).hold == 0);
}
