// Two hubs as two nodes (README "Several nodes"): one directory, one XMPP store and one
// session registry (a SQLite file here; the registry's own tests run on both engines), and
// the envelopes carried from one hub to the other through their text form, as NOTIFY does.
#include <filesystem>
#include <unistd.h>

#include "directory/directory.hpp"
#include "xmpp/router/hub.hpp"
#include "xmpp/router/link.hpp"
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

struct two_nodes {
  std::filesystem::path dir;
  std::unique_ptr<directory::directory> d;
  std::unique_ptr<store> st;
  std::unique_ptr<session_registry> reg;
  std::unique_ptr<hub> a, b;
  std::size_t forwarded = 0;
  std::pair<hub*, std::unique_ptr<node_link>> nodes[2];
  explicit two_nodes(bool routing = true) {
    dir = std::filesystem::temp_directory_path() / ("xmpp-cluster-" + std::to_string(::getpid()));
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
    reg = open_session_registry((dir / "r.db").string(), std::chrono::seconds(90)).value();
    hub_options ho;
    ho.hostname = "mail.x.test";
    ho.max_resources = 3;
    a = std::make_unique<hub>(ho, *st, *d);
    b = std::make_unique<hub>(ho, *st, *d);
    const auto now = now_us() / 1000000;
    REQUIRE(reg->heartbeat("A", 0, now));
    REQUIRE(reg->heartbeat("B", 0, now));
    if (!routing) return;
    // Each node's link carries envelope text (relayed through the registry when too big for
    // NOTIFY) and the other node's link turns it back into an envelope.
    auto deliver = [this](const std::string& node, std::string text) {
      ++forwarded;
      if (text.size() > max_envelope) FAIL("notification over NOTIFY's limit: " << text.size());
      auto& [h, link] = node == "A" ? nodes[0] : nodes[1];
      auto e = link->receive(text);
      REQUIRE(e);
      h->handle_forwarded(std::move(*e));
    };
    nodes[0] = {a.get(), std::make_unique<node_link>(*reg, "A", deliver)};
    nodes[1] = {b.get(), std::make_unique<node_link>(*reg, "B", deliver)};
    for (int i = 0; i < 2; ++i) {
      auto* link = nodes[i].second.get();
      nodes[i].first->set_cluster(
          {reg.get(), i == 0 ? "A" : "B", [link](const std::string& node, const envelope& e) { link->forward(node, e); }});
    }
  }
  ~two_nodes() { std::filesystem::remove_all(dir); }

  std::shared_ptr<fake_session> login(hub& h, std::string full, bool available = true) {
    auto s = std::make_shared<fake_session>();
    s->full = *jid::parse(full);
    REQUIRE(h.bind(s));
    stanza(h, *s, "<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>");
    if (available) stanza(h, *s, "<presence/>");
    return s;
  }
  void stanza(hub& h, fake_session& s, std::string xml) {
    auto e = parse_fragment(xml);
    REQUIRE(e);
    e->set("from", s.full.full());
    jid to = e->attr("to") ? *jid::parse(e->get("to")) : s.full.to_bare();
    request r{s, *e, to};
    h.handle(r);
  }
  void befriend(fake_session& sa, fake_session& sb) {
    stanza(*a, sa, "<presence to='b@x.test' type='subscribe'/>");
    stanza(*b, sb, "<presence to='a@x.test' type='subscribed'/>");
    stanza(*b, sb, "<presence to='a@x.test' type='subscribe'/>");
    stanza(*a, sa, "<presence to='b@x.test' type='subscribed'/>");
  }
};

}  // namespace

TEST_CASE("cluster: envelopes round-trip, and refuse what NOTIFY cannot carry") {
  envelope e{forward_kind::account, "5", *parse_fragment("<message to='b@x.test' type='chat'><body>hi</body></message>")};
  auto t = encode_envelope(e);
  REQUIRE(t);
  auto back = decode_envelope(*t);
  REQUIRE(back);
  CHECK(back->kind == forward_kind::account);
  CHECK(back->arg == "5");
  CHECK(serialize(back->stanza) == serialize(e.stanza));
  e.arg = "two words";
  CHECK_FALSE(encode_envelope(e));
  e.arg = "-";
  e.stanza.add("body", "jabber:client").add_text(std::string(9000, 'x'));
  CHECK_FALSE(encode_envelope(e));
  CHECK_FALSE(decode_envelope("x1 nonsense -\n<message/>"));
  CHECK_FALSE(decode_envelope("x1 session -\n<message>"));
  CHECK_FALSE(decode_envelope("x2 session -\n<message/>"));
}

TEST_CASE("cluster: subscriptions, presence, chat and carbons between sessions on two nodes") {
  two_nodes n;
  auto sa = n.login(*n.a, "a@x.test/1");
  auto sb = n.login(*n.b, "b@x.test/1");
  n.stanza(*n.a, *sa, "<presence to='b@x.test' type='subscribe'/>");
  CHECK(sb->has("presence", "subscribe"));  // the request reached node B
  n.stanza(*n.b, *sb, "<presence to='a@x.test' type='subscribed'/>");
  CHECK(sa->has("iq", "set", "subscription='to'"));  // roster push on node A
  CHECK(sa->has("presence", "", "b@x.test/1"));      // b's current presence, from the registry
  n.stanza(*n.b, *sb, "<presence to='a@x.test' type='subscribe'/>");
  n.stanza(*n.a, *sa, "<presence to='b@x.test' type='subscribed'/>");
  CHECK(sb->has("presence", "", "a@x.test/1"));

  // Chat both ways.
  n.stanza(*n.a, *sa, "<message to='b@x.test' type='chat' id='m1'><body>hello b</body></message>");
  CHECK(sb->has("message", "chat", "hello b"));
  n.stanza(*n.b, *sb, "<message to='a@x.test/1' type='chat' id='m2'><body>hello a</body></message>");
  CHECK(sa->has("message", "chat", "hello a"));

  // b's second resource on node A with carbons: it gets copies of what b receives and sends.
  auto sb2 = n.login(*n.a, "b@x.test/2");
  CHECK(sa->has("presence", "", "b@x.test/2"));
  CHECK(sb->has("presence", "", "b@x.test/2"));  // b's own other resource, across nodes
  sb2->carbons = true;
  sb->got.clear();
  n.stanza(*n.a, *sa, "<message to='b@x.test/1' type='chat' id='m3'><body>to one</body></message>");
  CHECK(sb->has("message", "chat", "to one"));
  CHECK(sb2->has("message", "chat", "urn:xmpp:carbons:2"));
  sb2->got.clear();
  n.stanza(*n.b, *sb, "<message to='a@x.test' type='chat' id='m4'><body>from one</body></message>");
  CHECK(sa->has("message", "chat", "from one"));
  bool sent_carbon = false;
  for (const auto& e : sb2->got)
    if (e.child("sent", ns_carbons)) sent_carbon = true;
  CHECK(sent_carbon);

  // Unavailable crosses too, and a session gone from node B makes a message offline.
  sa->got.clear();
  n.b->unbind(*sb);
  CHECK(sa->has("presence", "unavailable", "b@x.test/1"));
  n.b->unbind(*sb2);  // not B's: nothing happens
  n.a->unbind(*sb2);
  n.stanza(*n.a, *sa, "<message to='b@x.test' type='chat' id='m5'><body>later</body></message>");
  CHECK(n.st->offline_count("b@x.test") == 1);
}

TEST_CASE("cluster: without routing a session on the other node is offline (the baseline)") {
  two_nodes n(false);
  auto sa = n.login(*n.a, "a@x.test/1");
  auto sb = n.login(*n.b, "b@x.test/1");
  n.stanza(*n.a, *sa, "<message to='b@x.test' type='chat'><body>lost</body></message>");
  CHECK_FALSE(sb->has("message", "chat", "lost"));
  CHECK(n.st->offline_count("b@x.test") == 1);
}

TEST_CASE("cluster: binding a full JID bound on another node kicks the older session there") {
  two_nodes n;
  auto old = n.login(*n.b, "a@x.test/same");
  auto fresh = n.login(*n.a, "a@x.test/same");
  CHECK(old->kicked == "conflict");
  CHECK(fresh->kicked.empty());
}

TEST_CASE("cluster: the kick across nodes carries a resource with spaces") {
  two_nodes n;
  auto old = n.login(*n.b, "a@x.test/Gajim on my desk");
  auto other = n.login(*n.b, "a@x.test/Gajim");
  auto fresh = n.login(*n.a, "a@x.test/Gajim on my desk");
  CHECK(old->kicked == "conflict");
  CHECK(other->kicked.empty());
  CHECK(fresh->kicked.empty());
}

TEST_CASE("cluster: a message too big for NOTIFY goes through the relay table") {
  two_nodes n;
  auto sa = n.login(*n.a, "a@x.test/1");
  auto sb = n.login(*n.b, "b@x.test/1");
  const std::string long_text(12000, 'z');
  n.stanza(*n.a, *sa, "<message to='b@x.test/1' type='chat'><body>" + long_text + "</body></message>");
  CHECK(sb->has("message", "chat", long_text));
  CHECK(n.st->offline_count("b@x.test") == 0);
}

TEST_CASE("cluster: when a node is gone its sessions' contacts get unavailable presence once") {
  two_nodes n;
  auto sa = n.login(*n.a, "a@x.test/1");
  auto sb = n.login(*n.b, "b@x.test/1");
  n.befriend(*sa, *sb);
  REQUIRE(sa->has("presence", "", "b@x.test/1"));
  sa->got.clear();
  // Node B stops beating (killed): A's heartbeat goes on, B's lease runs out.
  const auto later = now_us() / 1000000 + 1000;
  REQUIRE(n.reg->heartbeat("A", 0, later));
  auto gone = n.reg->expire(later).value();
  REQUIRE(gone.size() == 1);
  CHECK(gone[0].full == "b@x.test/1");
  n.a->sessions_gone(gone);
  CHECK(sa->has("presence", "unavailable", "b@x.test/1"));
  CHECK(n.reg->expire(later).value().empty());
  // And a message for b is now stored offline rather than forwarded to the dead node.
  n.stanza(*n.a, *sa, "<message to='b@x.test' type='chat'><body>after</body></message>");
  CHECK(n.st->offline_count("b@x.test") == 1);
}

TEST_CASE("cluster: the per-account resource limit counts every node's resources") {
  two_nodes n;
  n.login(*n.a, "a@x.test/1");
  n.login(*n.b, "a@x.test/2");
  n.login(*n.a, "a@x.test/3");
  auto fourth = std::make_shared<fake_session>();
  fourth->full = *jid::parse("a@x.test/4");
  CHECK_FALSE(n.b->bind(fourth));
  // Taking over a resource bound elsewhere is not a new one.
  auto again = std::make_shared<fake_session>();
  again->full = *jid::parse("a@x.test/1");
  CHECK(n.b->bind(again));
}
