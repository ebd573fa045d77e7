#include "xmpp/router/hub.hpp"

#include <filesystem>
#include <unistd.h>

#include "directory/directory.hpp"
#include "xmpp/stream/parser.hpp"

using namespace hearth;
using namespace hearth::xmpp;

namespace {

struct fake_session : session {
  std::vector<element> got;
  std::string kicked;
  void send(const element& e) override { got.push_back(e); }
  void kick(std::string c) override { kicked = c; }
  bool has(std::string_view name, std::string_view type, std::string_view text = {}) const {
    for (const auto& e : got)
      if (e.name == name && e.get("type") == type && (text.empty() || serialize(e).find(text) != std::string::npos))
        return true;
    return false;
  }
};

struct world {
  std::filesystem::path dir;
  std::unique_ptr<directory::directory> d;
  std::unique_ptr<store> st;
  std::unique_ptr<hub> h;
  world() {
    dir = std::filesystem::temp_directory_path() / ("xmpp-hub-" + std::to_string(::getpid()));
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
  }
  ~world() { std::filesystem::remove_all(dir); }

  std::shared_ptr<fake_session> login(std::string full, bool available = true) {
    auto s = std::make_shared<fake_session>();
    s->full = *jid::parse(full);
    REQUIRE(h->bind(s));
    if (available) stanza(*s, "<presence/>");
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

TEST_CASE("hub: offline storage, then delivery at initial presence") {
  world w;
  auto a = w.login("a@x.test/1");
  w.stanza(*a, "<message to='b@x.test' type='chat'><body>hi</body></message>");
  auto b = w.login("b@x.test/1", false);
  CHECK(b->got.empty());
  w.stanza(*b, "<presence/>");
  CHECK(b->has("message", "chat", "hi"));
  CHECK(b->has("message", "chat", "urn:xmpp:delay"));
}

TEST_CASE("hub: subscription request, approval, mutual presence") {
  world w;
  auto a = w.login("a@x.test/1");
  auto b = w.login("b@x.test/1");
  w.stanza(*a, "<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>");
  w.stanza(*a, "<presence to='b@x.test' type='subscribe'/>");
  CHECK(b->has("presence", "subscribe"));
  auto ia = w.st->roster_get("a@x.test", "b@x.test");
  REQUIRE(ia);
  CHECK(ia->ask_out);
  w.stanza(*b, "<presence to='a@x.test' type='subscribed'/>");
  CHECK(a->has("presence", "subscribed"));
  CHECK(a->has("presence", "", "b@x.test/1"));  // b's current presence
  CHECK(w.st->roster_get("a@x.test", "b@x.test")->subscription() == "to");
  CHECK(w.st->roster_get("b@x.test", "a@x.test")->subscription() == "from");
  CHECK(a->has("iq", "set", "subscription='to'"));  // roster push
  // b goes unavailable: a (subscribed to b) is told.
  a->got.clear();
  w.h->unbind(*b);
  CHECK(a->has("presence", "unavailable"));
}

TEST_CASE("hub: iq errors and routing to full JIDs") {
  world w;
  auto a = w.login("a@x.test/1");
  w.stanza(*a, "<iq type='get' id='1' to='x.test'><query xmlns='urn:unknown'/></iq>");
  CHECK(a->has("iq", "error", "service-unavailable"));
  a->got.clear();
  w.stanza(*a, "<iq type='get' id='2' to='b@x.test/nope'><query xmlns='urn:unknown'/></iq>");
  CHECK(a->has("iq", "error", "service-unavailable"));
  a->got.clear();
  w.stanza(*a, "<message to='someone@remote.example' type='chat'><body>x</body></message>");
  CHECK(a->has("message", "error", "remote-server-not-found"));
  auto a2 = w.login("a@x.test/1");  // same resource: the first is kicked
  CHECK(a->kicked == "conflict");
}

TEST_CASE("hub: federation hook out, inbound remote stanzas in") {
  world w;
  std::vector<element> out;
  w.h->set_remote([&](element e) { out.push_back(std::move(e)); });
  auto a = w.login("a@x.test/1");
  // A message to another domain goes to the s2s hook with the full JID of the sender.
  w.stanza(*a, "<message to='r@remote.example' type='chat'><body>hi</body></message>");
  REQUIRE(out.size() == 1);
  CHECK(out[0].name == "message");
  CHECK(out[0].get("from") == "a@x.test/1");
  CHECK(out[0].get("to") == "r@remote.example");
  CHECK_FALSE(a->has("message", "error"));
  // Subscribing to a remote contact sends the subscription out with the bare JID (RFC 6121 §3.1.2).
  out.clear();
  w.stanza(*a, "<presence to='r@remote.example' type='subscribe'/>");
  REQUIRE(out.size() == 1);
  CHECK(out[0].get("type") == "subscribe");
  CHECK(out[0].get("from") == "a@x.test");
  // The remote approves: a's roster says to, and the remote's presence is delivered.
  out.clear();
  element ok("presence", std::string(ns_client));
  ok.set("from", "r@remote.example").set("to", "a@x.test").set("type", "subscribed");
  w.h->handle_remote(ok);
  auto item = w.st->roster_get("a@x.test", "r@remote.example");
  REQUIRE(item);
  CHECK(item->sub_to);
  element avail("presence", std::string(ns_client));
  avail.set("from", "r@remote.example/phone").set("to", "a@x.test");
  w.h->handle_remote(avail);
  CHECK(a->has("presence", ""));
  // A remote message to a local account is delivered; one claiming a local sender is dropped.
  element m("message", std::string(ns_client));
  m.set("from", "r@remote.example/phone").set("to", "a@x.test").set("type", "chat");
  m.add("body", std::string(ns_client)).add_text("remote hello");
  w.h->handle_remote(m);
  CHECK(a->has("message", "chat", "remote hello"));
  element spoof = m;
  spoof.set("from", "b@x.test/x");
  spoof.child("body")->children.clear();
  spoof.child("body")->add_text("spoofed");
  w.h->handle_remote(spoof);
  CHECK_FALSE(a->has("message", "chat", "spoofed"));
  // A remote probe of a non-subscriber is not answered.
  out.clear();
  element probe("presence", std::string(ns_client));
  probe.set("from", "r@remote.example").set("to", "a@x.test").set("type", "probe");
  w.h->handle_remote(probe);
  CHECK(out.empty());
  // A message to an unknown local account bounces back to the remote sender through s2s.
  element lost = m;
  lost.set("to", "nobody@x.test");
  w.h->handle_remote(lost);
  REQUIRE(out.size() == 1);
  CHECK(out[0].get("type") == "error");
  CHECK(out[0].get("to") == "r@remote.example/phone");
  // A remote iq to a local account goes to the same handlers, with the remote JID as the
  // asker, and the answer goes back through s2s; an unknown namespace gets an error.
  w.h->on_iq("get", "urn:test:who", static_cast<int>(target::other_account), [](hub&, request& r, const element&) {
    element q("who", "urn:test:who");
    q.add_text(r.from.full.bare());
    return iq_reply::ok(std::move(q));
  });
  out.clear();
  element ask("iq", std::string(ns_client));
  ask.set("from", "r@remote.example/phone").set("to", "a@x.test").set("type", "get").set("id", "q1");
  ask.add("who", "urn:test:who");
  w.h->handle_remote(ask);
  REQUIRE(out.size() == 1);
  CHECK(out[0].get("type") == "result");
  CHECK(out[0].get("to") == "r@remote.example/phone");
  CHECK(out[0].get("from") == "a@x.test");
  CHECK(serialize(out[0]).find("r@remote.example") != std::string::npos);
  out.clear();
  ask.set("id", "q2");
  ask.children.clear();
  ask.add("nothing", "urn:test:none");
  w.h->handle_remote(ask);
  REQUIRE(out.size() == 1);
  CHECK(out[0].get("type") == "error");
  CHECK(serialize(out[0]).find("service-unavailable") != std::string::npos);
}
