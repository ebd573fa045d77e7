#include "xmpp/modules/push/proto/push.hpp"

#include "xmpp/stream/parser.hpp"

using namespace hearth::xmpp;
using namespace hearth::xmpp::push;

namespace {
element el(const std::string& xml) { return *parse_fragment(xml); }
const char* enable_xml =
    "<enable xmlns='urn:xmpp:push:0' jid='push.example.net' node='dev-1'>"
    "<x xmlns='jabber:x:data' type='submit'>"
    "<field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>"
    "<field var='secret'><value>s3cret</value></field></x></enable>";
}  // namespace

TEST_CASE("push: enable with a publish-options form", "[push]") {
  auto p = parse(el(enable_xml));
  REQUIRE(p.req);
  CHECK(p.req->enable);
  CHECK(p.req->reg.jid == "push.example.net");
  CHECK(p.req->reg.node == "dev-1");
  auto form = parse_fragment(p.req->reg.options);
  REQUIRE(form);
  CHECK(form->ns == "jabber:x:data");
  CHECK(form->children.size() == 2);
}

TEST_CASE("push: bad requests", "[push]") {
  CHECK_FALSE(parse(el("<enable xmlns='urn:xmpp:push:0' node='n'/>")).req);  // no jid
  CHECK_FALSE(parse(el("<enable xmlns='urn:xmpp:push:0' jid='@x' node='n'/>")).req);
  CHECK_FALSE(parse(el("<enable xmlns='urn:xmpp:push:0' jid='push.example.net'/>")).req);  // no node
  CHECK_FALSE(parse(el("<enable xmlns='urn:xmpp:push:0' jid='p.example' node='" + std::string(2000, 'n') + "'/>")).req);
  CHECK_FALSE(parse(el("<enable xmlns='urn:xmpp:push:0' jid='p.example' node='n'><x xmlns='jabber:x:data'>"
                       "<field var='FORM_TYPE'><value>urn:other</value></field></x></enable>")).req);
  std::string many = "<enable xmlns='urn:xmpp:push:0' jid='p.example' node='n'><x xmlns='jabber:x:data'>"
                     "<field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>";
  for (int i = 0; i < 40; ++i) many += "<field var='f" + std::to_string(i) + "'/>";
  CHECK_FALSE(parse(el(many + "</x></enable>")).req);
  CHECK_FALSE(parse(el("<other xmlns='urn:xmpp:push:0' jid='p.example' node='n'/>")).req);
}

TEST_CASE("push: disable with and without a node", "[push]") {
  auto p = parse(el("<disable xmlns='urn:xmpp:push:0' jid='push.example.net'/>"));
  REQUIRE(p.req);
  CHECK_FALSE(p.req->enable);
  CHECK(p.req->reg.node.empty());
  p = parse(el("<disable xmlns='urn:xmpp:push:0' jid='push.example.net' node='dev-1'/>"));
  REQUIRE(p.req);
  CHECK(p.req->reg.node == "dev-1");
}

TEST_CASE("push: the notification says nothing of the message unless told", "[push]") {
  auto reg = parse(el(enable_xml)).req->reg;
  summary s;
  s.message_count = 3;
  s.last_sender = "juliet@example.org/balcony";
  std::string plain = serialize(notification("romeo@example.org", reg, "n1", s));
  CHECK(plain.find("urn:xmpp:push:summary") != std::string::npos);
  CHECK(plain.find("juliet") == std::string::npos);
  CHECK(plain.find("message-count") == std::string::npos);
  CHECK(plain.find("<publish node='dev-1'>") != std::string::npos);
  CHECK(plain.find("s3cret") != std::string::npos);  // the publish-options go back to the app server
  CHECK(plain.find("from='romeo@example.org'") != std::string::npos);
  CHECK(plain.find("to='push.example.net'") != std::string::npos);
  s.detailed = true;
  std::string detailed = serialize(notification("romeo@example.org", reg, "n1", s));
  CHECK(detailed.find("<field var='message-count'><value>3</value></field>") != std::string::npos);
  CHECK(detailed.find("<field var='last-message-sender'><value>juliet@example.org/balcony</value></field>") !=
        std::string::npos);
}
