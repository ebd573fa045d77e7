#include "xmpp/modules/modules.hpp"

#include <filesystem>
#include <unistd.h>

#include "directory/directory.hpp"
#include "xmpp/stream/parser.hpp"

using namespace hearth;
using namespace hearth::xmpp;

namespace {

struct fake_session : session {
  std::vector<element> got;
  void send(const element& e) override { got.push_back(e); }
  void kick(std::string) override {}
  std::string all() const {
    std::string s;
    for (const auto& e : got) s += serialize(e);
    return s;
  }
};

struct world {
  std::filesystem::path dir;
  std::unique_ptr<directory::directory> d;
  std::unique_ptr<store> st;
  std::unique_ptr<hub> h;
  world() {
    dir = std::filesystem::temp_directory_path() / ("xmpp-modules-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    d = directory::directory::open(dir / "d.db").value();
    REQUIRE(d->add_domain("x.test"));
    directory::stored_credentials c;
    c.argon2id = "$argon2id$x";
    c.scram_sha1 = c.scram_sha256 = "i=1,s=a,k=b,v=c";
    REQUIRE(d->add_account("a@x.test", c));
    REQUIRE(d->add_account("b@x.test", c));
    st = store::open(dir / "x.db").value();
    hub_options ho;
    ho.hostname = "mail.x.test";
    h = std::make_unique<hub>(ho, *st, *d);
    modules::install_all(*h);
  }
  ~world() { std::filesystem::remove_all(dir); }
  std::shared_ptr<fake_session> login(std::string full) {
    auto s = std::make_shared<fake_session>();
    s->full = *jid::parse(full);
    REQUIRE(h->bind(s));
    stanza(*s, "<presence/>");
    return s;
  }
  void stanza(fake_session& s, std::string xml) {
    auto e = parse_fragment(xml);
    REQUIRE(e);
    e->set("from", s.full.full());
    jid to = e->attr("to") ? *jid::parse(e->get("to")) : s.full.to_bare();
    request r{s, *e, to};
    h->handle(r);
  }
};

}  // namespace

TEST_CASE("XEP-0082 date-times") {
  CHECK(modules::parse_xep82("1970-01-01T00:00:01Z") == 1000000);
  CHECK(modules::parse_xep82("1970-01-01T00:00:01.5Z") == 1500000);
  CHECK(modules::parse_xep82("1970-01-01T01:00:00+01:00") == 0);
  CHECK(!modules::parse_xep82("yesterday"));
  CHECK(!modules::parse_xep82("1970-01-01T00:00:01"));
}

TEST_CASE("MAM archives both sides and pages with RSM") {
  world w;
  auto a = w.login("a@x.test/1");
  auto b = w.login("b@x.test/1");
  for (int i = 0; i < 3; ++i)
    w.stanza(*a, "<message to='b@x.test' type='chat'><body>m" + std::to_string(i) + "</body></message>");
  CHECK(b->all().find("urn:xmpp:sid:0") != std::string::npos);
  b->got.clear();
  w.stanza(*b, "<iq type='set' id='q'><query xmlns='urn:xmpp:mam:2' queryid='x'>"
               "<set xmlns='http://jabber.org/protocol/rsm'><max>2</max></set></query></iq>");
  auto out = b->all();
  CHECK(out.find("m0") != std::string::npos);
  CHECK(out.find("m1") != std::string::npos);
  CHECK(out.find("m2") == std::string::npos);
  CHECK(out.find("<count>3</count>") != std::string::npos);
  CHECK(out.find("complete='true'") == std::string::npos);
}

TEST_CASE("blocking and vcard and pep publish-options") {
  world w;
  auto a = w.login("a@x.test/1");
  auto b = w.login("b@x.test/1");
  w.stanza(*b, "<iq type='set' id='bl'><block xmlns='urn:xmpp:blocking'><item jid='a@x.test'/></block></iq>");
  w.stanza(*a, "<message to='b@x.test' type='chat'><body>blocked?</body></message>");
  CHECK(b->all().find("blocked?") == std::string::npos);
  CHECK(a->all().find("service-unavailable") != std::string::npos);
  w.stanza(*a, "<iq type='set' id='v'><vCard xmlns='vcard-temp'><FN>A</FN></vCard></iq>");
  w.stanza(*a, "<iq type='set' id='p'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='n'><item id='1'>"
               "<x xmlns='urn:t'/></item></publish><publish-options><x xmlns='jabber:x:data' type='submit'>"
               "<field var='pubsub#access_model'><value>open</value></field></x></publish-options></pubsub></iq>");
  b->got.clear();
  // b blocked a, not the reverse: b may read a's open node and vCard.
  w.stanza(*b, "<iq type='get' id='g' to='a@x.test'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='n'/></pubsub></iq>");
  w.stanza(*b, "<iq type='get' id='vc' to='a@x.test'><vCard xmlns='vcard-temp'/></iq>");
  auto out = b->all();
  CHECK(out.find("urn:t") != std::string::npos);
  CHECK(out.find("<FN>A</FN>") != std::string::npos);
}
