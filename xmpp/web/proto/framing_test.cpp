// RFC 7395 framing: <open/>/<close/>, one element per message, namespaces on the way out.
#include "xmpp/web/proto/framing.hpp"

#include <catch2/catch.hpp>


using namespace hearth::xmpp;
using namespace hearth::xmpp::web;

TEST_CASE("ws framing: open, stanzas and close become stream events") {
  ws_framing f({});
  std::vector<stream_event> ev;
  REQUIRE(f.message("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.test' version='1.0'/>", ev));
  REQUIRE(f.message("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGEAYg==</auth>", ev));
  f.hibernate();
  REQUIRE(f.message("<message to='b@example.test'><body>hi</body></message>", ev));
  REQUIRE(f.message("<iq xmlns='jabber:client' type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>", ev));
  REQUIRE(f.message("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>", ev));
  REQUIRE(ev.size() == 5);
  CHECK(ev[0].kind == stream_event::open);
  CHECK(ev[0].el.get("to") == "example.test");
  CHECK(ev[1].kind == stream_event::stanza);
  CHECK(ev[1].el.name == "auth");
  CHECK(ev[2].el.ns == "jabber:client");  // no declaration: the stream's default, as on TCP
  CHECK(ev[2].el.child("body")->body() == "hi");
  CHECK(ev[3].el.name == "iq");
  CHECK(ev[4].kind == stream_event::close);
}

TEST_CASE("ws framing: a message cut inside an element, bad XML, limits") {
  {
    ws_framing f({});
    std::vector<stream_event> ev;
    CHECK_FALSE(f.message("<message><body>half", ev));
    REQUIRE_FALSE(ev.empty());
    CHECK(ev.back().kind == stream_event::error);
    CHECK(ev.back().condition == "not-well-formed");
  }
  {
    ws_framing f({});
    std::vector<stream_event> ev;
    CHECK_FALSE(f.message("<message><body></message>", ev));
    CHECK(ev.back().condition == "not-well-formed");
  }
  {
    ws_framing f({});
    std::vector<stream_event> ev;
    CHECK_FALSE(f.message("<!DOCTYPE x><message/>", ev));
    CHECK(ev.back().kind == stream_event::error);
  }
  {
    ws_framing f({.max_stanza = 1024, .max_depth = 64, .max_attrs = 64});
    std::vector<stream_event> ev;
    CHECK_FALSE(f.message("<message><body>" + std::string(2000, 'a') + "</body></message>", ev));
    CHECK(ev.back().condition == "policy-violation");
  }
}

TEST_CASE("ws framing: what the server sends stands alone") {
  CHECK(ws_framing::open("example.test", "abc") ==
        "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='example.test' id='abc' version='1.0' xml:lang='en'/>");
  CHECK(ws_framing::element("<message from='a@x' to='b@x'><body>1 &gt; 0</body></message>") ==
        "<message xmlns='jabber:client' from='a@x' to='b@x'><body>1 &gt; 0</body></message>");
  CHECK(ws_framing::element("<presence/>") == "<presence xmlns='jabber:client'/>");
  CHECK(ws_framing::element("<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>") ==
        "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>");
  CHECK(ws_framing::element("<r xmlns='urn:xmpp:sm:3'/>") == "<r xmlns='urn:xmpp:sm:3'/>");
  CHECK(ws_framing::element("<iq xmlns='jabber:client' id='1'/>") == "<iq xmlns='jabber:client' id='1'/>");
  CHECK(ws_framing::error("host-unknown").find("xmlns:stream=") != std::string::npos);
  // The server's own messages parse back through the client-side framing.
  ws_framing f({});
  std::vector<stream_event> ev;
  REQUIRE(f.message(ws_framing::element("<message to='b@x'><body>x</body></message>"), ev));
  CHECK(ev.at(0).el.name == "message");
}
