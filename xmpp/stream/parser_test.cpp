#include "xmpp/stream/parser.hpp"

#include "xmpp/stream/jid.hpp"

using namespace hearth::xmpp;

namespace {
const std::string open_c =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "to='example.test' version='1.0'>";

std::vector<stream_event> parse_all(stream_parser& p, std::string_view s) {
  std::vector<stream_event> ev;
  p.feed(s, ev);
  return ev;
}
}  // namespace

TEST_CASE("stream header, stanzas and close, byte by byte") {
  stream_parser p;
  std::string doc = open_c + " <message to='b@x' type='chat'><body>a &amp; &lt;b&gt; &#65;</body>"
                             "<x:y xmlns:x='urn:z' a='1'/></message>\n</stream:stream>";
  std::vector<stream_event> ev;
  for (char c : doc) REQUIRE(p.feed(std::string_view(&c, 1), ev));
  REQUIRE(ev.size() == 3);
  CHECK(ev[0].kind == stream_event::open);
  CHECK(ev[0].el.get("to") == "example.test");
  CHECK(ev[0].el.ns == ns_stream);
  REQUIRE(ev[1].kind == stream_event::stanza);
  const auto& m = ev[1].el;
  CHECK(m.name == "message");
  CHECK(m.ns == "jabber:client");
  CHECK(m.child("body")->body() == "a & <b> A");
  REQUIRE(m.child("y", "urn:z"));
  CHECK(m.child("y")->get("a") == "1");
  CHECK(ev[2].kind == stream_event::close);
  CHECK(serialize(m) == "<message to='b@x' type='chat'><body>a &amp; &lt;b&gt; A</body><y xmlns='urn:z' a='1'/></message>");
}

TEST_CASE("restricted XML is refused") {
  for (std::string bad : {"<!DOCTYPE x [<!ENTITY a 'b'>]>" + open_c, open_c + "<!-- c -->", open_c + "<?pi x?>",
                          open_c + "<message>&foo;</message>"}) {
    stream_parser p;
    auto ev = parse_all(p, bad);
    REQUIRE(!ev.empty());
    CHECK(ev.back().kind == stream_event::error);
    CHECK(ev.back().condition == "restricted-xml");
    CHECK(p.failed());
  }
}

TEST_CASE("malformed XML and wrong namespace") {
  stream_parser p;
  auto ev = parse_all(p, open_c + "<message><body></message>");
  CHECK(ev.back().condition == "not-well-formed");
  stream_parser q;
  ev = parse_all(q, "<stream xmlns='jabber:client'>");
  CHECK(ev.back().condition == "invalid-namespace");
}

TEST_CASE("limits: size, depth, attributes") {
  stream_parser p({.max_stanza = 1000, .max_depth = 10, .max_attrs = 5});
  auto ev = parse_all(p, open_c + "<message><body>" + std::string(5000, 'a'));
  CHECK(ev.back().condition == "policy-violation");
  stream_parser d({.max_stanza = 1000000, .max_depth = 10, .max_attrs = 5});
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<a>";
  ev = parse_all(d, open_c + deep);
  CHECK(ev.back().condition == "policy-violation");
  stream_parser a({.max_stanza = 1000, .max_depth = 10, .max_attrs = 2});
  ev = parse_all(a, open_c + "<iq a='1' b='2' c='3'/>");
  CHECK(ev.back().condition == "policy-violation");
  // A whole stanza over the limit inside one read is refused too; one under it passes.
  stream_parser w({.max_stanza = 1000, .max_depth = 10, .max_attrs = 5});
  ev = parse_all(w, open_c + "<message><body>" + std::string(900, 'a') + "</body></message>");
  REQUIRE(ev.size() == 2);
  CHECK(ev.back().kind == stream_event::stanza);
  ev = parse_all(w, "<message><body>" + std::string(2000, 'a') + "</body></message><iq/>");
  REQUIRE_FALSE(ev.empty());
  CHECK(ev.back().condition == "policy-violation");
}

TEST_CASE("reset starts a new stream") {
  stream_parser p;
  auto ev = parse_all(p, open_c + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  REQUIRE(ev.size() == 2);
  p.reset();
  ev = parse_all(p, open_c + "<iq type='get' id='1'/>");
  REQUIRE(ev.size() == 2);
  CHECK(ev[1].el.name == "iq");
}

TEST_CASE("hibernate frees the parser between stanzas; the stream goes on unchanged") {
  stream_parser p({.max_stanza = 1000, .max_depth = 10, .max_attrs = 5});
  CHECK_FALSE(p.hibernate());  // before the stream header
  auto ev = parse_all(p, open_c + "<presence/>\n");
  REQUIRE(ev.size() == 2);
  REQUIRE(p.hibernate());
  CHECK(p.hibernating());
  ev = parse_all(p, "<message to='b@x'><body>one</body><x:y xmlns:x='urn:z'/></message>");
  CHECK_FALSE(p.hibernating());
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].el.ns == "jabber:client");  // the default namespace of the stream header
  CHECK(ev[0].el.child("body")->body() == "one");
  CHECK(ev[0].el.child("y", "urn:z"));
  // Not in the middle of a stanza, nor with a partial tag pending.
  ev = parse_all(p, "<message><bo");
  CHECK(ev.empty());
  CHECK_FALSE(p.hibernate());
  ev = parse_all(p, "dy>two</body></message><pres");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].el.child("body")->body() == "two");
  CHECK_FALSE(p.hibernate());
  ev = parse_all(p, "ence/>");
  REQUIRE(ev.size() == 1);
  REQUIRE(p.hibernate());
  // Limits still count from the real stanza start, and the close tag still closes.
  ev = parse_all(p, "<message><body>" + std::string(2000, 'a') + "</body></message>");
  REQUIRE_FALSE(ev.empty());
  CHECK(ev.back().condition == "policy-violation");
  CHECK_FALSE(p.hibernate());  // a failed parser stays failed

  // Another prefix for the streams namespace and more declarations (server-to-server).
  stream_parser s;
  ev = parse_all(s, "<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:server' "
                    "xmlns:db='jabber:server:dialback' xmlns:q='urn:x?a=1&amp;b=\"2\"'><db:result to='a' from='b'>k</db:result>");
  REQUIRE(ev.size() == 2);
  REQUIRE(s.hibernate());
  ev = parse_all(s, "<db:verify id='1'>k</db:verify><q:x/><message/></s:stream>");
  REQUIRE(ev.size() == 4);
  CHECK(ev[0].el.ns == "jabber:server:dialback");
  CHECK(ev[1].el.ns == "urn:x?a=1&b=\"2\"");
  CHECK(ev[2].el.ns == "jabber:server");
  CHECK(ev[3].kind == stream_event::close);
  CHECK_FALSE(s.hibernate());
}

TEST_CASE("escaping in the serializer") {
  element e("message", "jabber:client");
  e.set("to", "a'b\"<");
  e.add("body", "jabber:client").add_text("<&>");
  CHECK(serialize(e) == "<message to='a&apos;b&quot;&lt;'><body>&lt;&amp;&gt;</body></message>");
}

TEST_CASE("jids") {
  auto j = jid::parse("Alice@Example.TEST/Phone");
  REQUIRE(j);
  CHECK(j->bare() == "alice@example.test");
  CHECK(j->resource == "Phone");
  CHECK(jid::parse("example.test")->is_domain());
  CHECK(!jid::parse("@x"));
  CHECK(!jid::parse("a@"));
  CHECK(!jid::parse("a@b/"));
  CHECK(!jid::parse(""));
}
