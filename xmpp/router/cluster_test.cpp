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

namespace {
// A session handed over to node B (XEP-0198 resumption there), still in node A's hub: what
// reaches it goes to B as a `session` envelope naming it, as the c2s relay does. Its kick
// only records, which holds the window between B's bind and A's handling of the kick open.
struct relay_session : fake_session {
  hub* from = nullptr;
  std::size_t relayed = 0;  // messages
  void send(const element& e) override {
    if (e.name == "message") ++relayed;
    element copy = e;
    copy.set("to", full.full());
    from->forward_envelope("B", envelope{forward_kind::session, "-", std::move(copy)});
  }
  bool relaying() override { return true; }
};
}  // namespace

TEST_CASE("cluster: a message to the bare JID reaches a session being handed over once") {
  two_nodes n;
  auto sa = n.login(*n.a, "a@x.test/1");
  auto on_a = std::make_shared<relay_session>();
  on_a->full = *jid::parse("b@x.test/phone");
  on_a->from = n.a.get();
  on_a->available = true;  // as the client left it: available, a target of bare-JID messages
  on_a->presence = *parse_fragment("<presence/>");
  REQUIRE(n.a->bind(on_a));
  // Node B binds the resumed session: the registry row moves to B; A's copy is not gone yet.
  auto on_b = std::make_shared<fake_session>();
  on_b->full = on_a->full;
  on_b->available = true;
  on_b->presence = *parse_fragment("<presence/>");
  REQUIRE(n.b->adopt(on_b));
  REQUIRE(on_a->kicked == "conflict");
  REQUIRE(n.a->find("b@x.test/phone"));

  auto count = [&](std::string_view text) {
    std::size_t c = 0;
    for (const auto& e : on_b->got)
      if (e.name == "message" && serialize(e).find(text) != std::string::npos) ++c;
    return c;
  };
  // Sent on A, which holds the relaying copy and sees B's row in the registry.
  n.stanza(*n.a, *sa, "<message to='b@x.test' type='chat' id='h1'><body>once from A</body></message>");
  CHECK(count("once from A") == 1);
  // Sent on B, which forwards to A an account delivery (b's second resource lives there).
  auto other = n.login(*n.a, "b@x.test/desk");
  auto sa2 = n.login(*n.b, "a@x.test/2");
  n.stanza(*n.b, *sa2, "<message to='b@x.test' type='chat' id='h2'><body>once via B</body></message>");
  CHECK(other->has("message", "chat", "once via B"));
  CHECK(count("once via B") == 1);
  // Before B's bind the relaying copy is the only way to the client: it is used.
  CHECK(on_a->relayed == 0);
  n.reg->unbind("b@x.test/phone", "B");
  REQUIRE(n.reg->bind("b@x.test/phone", "A"));
  n.stanza(*n.a, *sa, "<message to='b@x.test' type='chat' id='h3'><body>relayed</body></message>");
  CHECK(on_a->relayed == 1);
  CHECK(count("relayed") == 1);
}

TEST_CASE("cluster: presence, carbons and roster pushes reach a session being handed over once") {
  two_nodes n;
  auto sa = n.login(*n.a, "a@x.test/1");
  auto desk = n.login(*n.b, "b@x.test/desk");
  n.befriend(*sa, *desk);
  // b's laptop on A, so that A gets b's carbons and roster pushes forwarded.
  auto laptop = n.login(*n.a, "b@x.test/laptop");
  laptop->carbons = true;
  auto on_a = std::make_shared<relay_session>();
  on_a->full = *jid::parse("b@x.test/phone");
  on_a->from = n.a.get();
  on_a->available = on_a->interested = on_a->carbons = true;
  on_a->presence = *parse_fragment("<presence/>");
  REQUIRE(n.a->bind(on_a));
  auto on_b = std::make_shared<fake_session>();
  on_b->full = on_a->full;
  on_b->available = on_b->interested = on_b->carbons = true;
  on_b->presence = *parse_fragment("<presence/>");
  REQUIRE(n.b->adopt(on_b));
  REQUIRE(n.a->find("b@x.test/phone"));  // A's copy is still there, relaying

  auto count = [&](std::string_view name, std::string_view text) {
    std::size_t c = 0;
    for (const auto& e : on_b->got)
      if (e.name == name && serialize(e).find(text) != std::string::npos) ++c;
    return c;
  };
  // Presence from a contact on A: A's copy is skipped, B delivers to its own.
  n.stanza(*n.a, *sa, "<presence><status>lunch</status></presence>");
  CHECK(count("presence", "lunch") == 1);
  // A sent carbon of b's message from the desk (B): B copies to its own, A to the laptop only.
  n.stanza(*n.b, *desk, "<message to='a@x.test/1' type='chat' id='c1'><body>carbon once</body></message>");
  CHECK(laptop->has("message", "chat", "carbon once"));
  CHECK(count("message", "carbon once") == 1);
  // A roster push for b, made on B: A pushes to the laptop only.
  laptop->interested = true;
  n.stanza(*n.b, *desk, "<iq type='set' id='r1'><query xmlns='jabber:iq:roster'><item jid='c@x.test' name='Cee'/></query></iq>");
  CHECK(laptop->has("iq", "set", "Cee"));
  CHECK(count("iq", "Cee") == 1);
  // A's probe answers name the phone once (from B's row, not also from A's copy).
  auto probe_from = n.login(*n.a, "a@x.test/2");
  std::size_t phone = 0;
  for (const auto& e : probe_from->got)
    if (e.name == "presence" && e.get("from") == "b@x.test/phone") ++phone;
  CHECK(phone == 1);
}

namespace {
// The registry as a node sees it, counting the room-home lookups.
struct counting_registry : session_registry {
  session_registry& r;
  int homes = 0;
  explicit counting_registry(session_registry& real) : r(real) {}
  result<void> heartbeat(std::string_view n, std::int64_t b, std::int64_t now) override { return r.heartbeat(n, b, now); }
  result<void> bind(std::string_view f, std::string_view n) override { return r.bind(f, n); }
  result<void> update(std::string_view f, std::string_view n, int p, bool a, std::string_view pr) override {
    return r.update(f, n, p, a, pr);
  }
  result<void> unbind(std::string_view f, std::string_view n) override { return r.unbind(f, n); }
  result<std::vector<bound_session>> sessions_of(std::string_view b, std::int64_t now) override {
    return r.sessions_of(b, now);
  }
  result<std::optional<bound_session>> find(std::string_view f, std::int64_t now) override { return r.find(f, now); }
  result<room_claim> room_home(std::string_view room, std::string_view n, std::int64_t now) override {
    ++homes;
    return r.room_home(room, n, now);
  }
  result<std::vector<std::string>> live_nodes(std::int64_t now) override { return r.live_nodes(now); }
  result<std::int64_t> relay_put(std::string_view n, std::string_view p, std::int64_t now) override {
    return r.relay_put(n, p, now);
  }
  result<std::optional<std::string>> relay_take(std::int64_t id, std::string_view n) override {
    return r.relay_take(id, n);
  }
  result<void> forget_node(std::string_view n) override { return r.forget_node(n); }
  result<std::vector<bound_session>> expire(std::int64_t now) override { return r.expire(now); }
};
}  // namespace

TEST_CASE("cluster: a room's home is asked once per node, and again once it moved") {
  two_nodes n;
  counting_registry regs[2] = {counting_registry(*n.reg), counting_registry(*n.reg)};
  std::vector<std::string> got[2], claims[2], published;
  for (int i = 0; i < 2; ++i) {
    hub& h = *n.nodes[i].first;
    h.add_component(
        "conference.x.test", "Chatrooms", [&got, i](element st) { got[i].push_back(st.get("to")); }, true,
        [&claims, i](const std::string& room) { claims[i].push_back(room); });
    auto* link = n.nodes[i].second.get();
    h.set_cluster({&regs[i], i == 0 ? "A" : "B",
                   [link](const std::string& node, const envelope& e) { link->forward(node, e); },
                   [&published](const std::string& room) { published.push_back(room); }, 8});
  }
  auto sa = n.login(*n.a, "a@x.test/1");
  auto sb = n.login(*n.b, "b@x.test/1");
  const std::string to_room = "<message to='hall@conference.x.test' type='groupchat'><body>hi</body></message>";
  // B's first stanza makes B the home; A's three stanzas go there after one lookup.
  n.stanza(*n.b, *sb, to_room);
  CHECK(claims[1] == std::vector<std::string>{"hall@conference.x.test"});
  CHECK(published == std::vector<std::string>{"hall@conference.x.test"});
  for (int k = 0; k < 3; ++k) n.stanza(*n.a, *sa, to_room);
  CHECK(got[1].size() == 4);
  CHECK(got[0].empty());
  CHECK(regs[0].homes == 1);
  CHECK(regs[1].homes == 1);  // forwarded stanzas reach the home's cache, not the registry
  CHECK(n.a->room_homes_cached() == 1);

  // B dies: A, told of B's sessions gone, drops the room, and its next stanza claims it.
  const auto later = now_us() / 1000000 + 1000;
  REQUIRE(n.reg->heartbeat("A", 0, later));
  auto gone = n.reg->expire(later).value();
  REQUIRE(gone.size() == 1);
  n.a->sessions_gone(gone);
  CHECK(n.a->room_homes_cached() == 0);
  n.stanza(*n.a, *sa, to_room);
  CHECK(claims[0] == std::vector<std::string>{"hall@conference.x.test"});
  CHECK(got[0].size() == 1);
  CHECK(regs[0].homes == 2);
  CHECK(published.size() == 2);
  // The bus tells B (alive again) that the room moved: it asks again and forwards to A.
  REQUIRE(n.reg->heartbeat("B", 0, later));
  n.b->forget_room_home("hall@conference.x.test");
  n.stanza(*n.b, *sb, to_room);
  CHECK(got[0].size() == 2);
  CHECK(regs[1].homes == 2);

  // Bounded: past max_room_homes (8 here) the cache starts again.
  for (int k = 0; k < 20; ++k) {
    n.stanza(*n.a, *sa, "<message to='r" + std::to_string(k) + "@conference.x.test' type='groupchat'/>");
    CHECK(n.a->room_homes_cached() <= 8);
  }
  CHECK(n.a->room_homes_cached() >= 1);
  // The heartbeat thread's check of the live nodes: rooms of a node not listed go.
  n.a->room_homes_alive({"B"});
  CHECK(n.a->room_homes_cached() == 0);
}

TEST_CASE("cluster: a take-over seen on the bus drops every room cached on the old home") {
  two_nodes n;
  auto sa = n.login(*n.a, "a@x.test/1");
  auto sb = n.login(*n.b, "b@x.test/1");
  for (int i = 0; i < 2; ++i)
    n.nodes[i].first->add_component("conference.x.test", "Chatrooms", [](element) {}, true);
  // Two rooms homed on B, cached on A.
  n.stanza(*n.b, *sb, "<message to='r1@conference.x.test' type='groupchat'><body>x</body></message>");
  n.stanza(*n.b, *sb, "<message to='r2@conference.x.test' type='groupchat'><body>x</body></message>");
  n.stanza(*n.a, *sa, "<message to='r1@conference.x.test' type='groupchat'><body>y</body></message>");
  n.stanza(*n.a, *sa, "<message to='r2@conference.x.test' type='groupchat'><body>y</body></message>");
  REQUIRE(n.a->room_homes_cached() == 2);
  // Another node (C) took r1: B lost a claim, so it is gone, and r2 moves too.
  n.a->forget_room_home("r1@conference.x.test", "C");
  CHECK(n.a->room_homes_cached() == 0);
  // A room it does not cache, or a claim taken again by the node it had cached: the others stay.
  n.stanza(*n.a, *sa, "<message to='r1@conference.x.test' type='groupchat'><body>z</body></message>");
  n.stanza(*n.a, *sa, "<message to='r2@conference.x.test' type='groupchat'><body>z</body></message>");
  REQUIRE(n.a->room_homes_cached() == 2);
  n.a->forget_room_home("r3@conference.x.test", "C");
  CHECK(n.a->room_homes_cached() == 2);
  n.a->forget_room_home("r1@conference.x.test", "B");
  CHECK(n.a->room_homes_cached() == 1);
}

namespace {
// Node i's cluster options, its envelopes to B dropped while `b_mute` is set: a NOTIFY to a
// node that is gone (or hangs) is dropped without a word.
hub::cluster_options cluster_muting_b(two_nodes& n, int i, const bool& b_mute) {
  hub::cluster_options co;
  co.registry = n.reg.get();
  co.node = i == 0 ? "A" : "B";
  co.forward = [link = n.nodes[i].second.get(), &b_mute](const std::string& node, const envelope& e) {
    if (node == "B" && b_mute) return;
    link->forward(node, e);
  };
  return co;
}
}  // namespace

TEST_CASE("cluster: a room stanza sent to a home that died is held and reaches the new home once") {
  two_nodes n;
  bool b_dead = false;
  std::vector<std::string> got[2], claims[2];
  for (int i = 0; i < 2; ++i) {
    hub& h = *n.nodes[i].first;
    h.add_component(
        "conference.x.test", "Chatrooms", [&got, i](element st) { got[i].push_back(serialize(st)); }, true,
        [&claims, i](const std::string& room) { claims[i].push_back(room); });
    auto co = cluster_muting_b(n, i, b_dead);
    co.max_held = 3;
    h.set_cluster(std::move(co));
  }
  auto sa = n.login(*n.a, "a@x.test/1");
  auto sb = n.login(*n.b, "b@x.test/1");
  auto to_room = [](std::string text) {
    return "<message to='hall@conference.x.test' type='groupchat'><body>" + text + "</body></message>";
  };
  n.stanza(*n.b, *sb, to_room("home on B"));
  n.stanza(*n.a, *sa, to_room("acknowledged"));
  REQUIRE(got[1].size() == 2);
  CHECK(n.a->held_count() == 0);  // B said it handled it

  // B is killed: its claim is no longer live, A's cache still names it.
  b_dead = true;
  REQUIRE(n.reg->forget_node("B"));
  n.stanza(*n.a, *sa, to_room("in the window"));
  CHECK(got[1].size() == 2);
  CHECK(n.a->held_count() == 1);
  CHECK(got[0].empty());
  // A's check of the live nodes: the room's new home (A, claiming it now) gets it, once.
  n.a->room_homes_alive(n.reg->live_nodes(now_us() / 1000000).value());
  CHECK(n.a->held_count() == 0);
  CHECK(claims[0] == std::vector<std::string>{"hall@conference.x.test"});
  REQUIRE(got[0].size() == 1);
  CHECK(got[0][0].find("in the window") != std::string::npos);
  n.a->room_homes_alive(n.reg->live_nodes(now_us() / 1000000).value());
  CHECK(got[0].size() == 1);
}

TEST_CASE("cluster: room stanzas a live home leaves unanswered are bounded and get a wait error") {
  two_nodes n;
  bool b_silent = false;
  std::vector<std::string> got;
  for (int i = 0; i < 2; ++i) {
    hub& h = *n.nodes[i].first;
    h.add_component("conference.x.test", "Chatrooms", [&got](element st) { got.push_back(st.get("to")); }, true);
    auto co = cluster_muting_b(n, i, b_silent);
    co.max_held = 2;
    co.hold_for = std::chrono::seconds(0);
    h.set_cluster(std::move(co));
  }
  auto sa = n.login(*n.a, "a@x.test/1");
  auto sb = n.login(*n.b, "b@x.test/1");
  const std::string to_room = "<message to='hall@conference.x.test' type='groupchat'><body>hi</body></message>";
  n.stanza(*n.b, *sb, to_room);
  n.stanza(*n.a, *sa, to_room);  // acknowledged: B answers
  REQUIRE(n.a->held_count() == 0);
  // B hangs (alive for the registry, silent): two are held, the third is refused at once.
  b_silent = true;
  sa->got.clear();
  n.stanza(*n.a, *sa, to_room);
  n.stanza(*n.a, *sa, to_room);
  CHECK(n.a->held_count() == 2);
  CHECK_FALSE(sa->has("message", "error"));
  n.stanza(*n.a, *sa, to_room);
  CHECK(sa->has("message", "error", "resource-constraint"));
  CHECK(n.a->held_count() == 2);
  // Past hold_for (0 s here) the check answers the two with remote-server-timeout.
  n.a->room_homes_alive({"A", "B"});
  CHECK(n.a->held_count() == 0);
  std::size_t timeouts = 0;
  for (const auto& e : sa->got)
    if (e.name == "message" && e.get("type") == "error" && serialize(e).find("remote-server-timeout") != std::string::npos)
      ++timeouts;
  CHECK(timeouts == 2);
}

TEST_CASE("cluster: a room stanza its home handled but never acknowledged is resent under the key that home saw") {
  two_nodes n;
  bool b_dead = false, b_unacked = false;
  struct handled {
    std::string body, key;
    bool resent;
  };
  std::vector<handled> got[2];
  for (int i = 0; i < 2; ++i) {
    hub& h = *n.nodes[i].first;
    h.add_component(
        "conference.x.test", "Chatrooms",
        hub::keyed_component_handler([&got, i](element st, const held_key& k) {
          const element* b = st.child("body");
          got[i].push_back({b ? b->body() : std::string(), k.key, k.resent});
        }),
        true);
    auto co = cluster_muting_b(n, i, b_dead);
    if (i == 1) co.acknowledge = [&b_unacked](const element&) { return !b_unacked; };
    h.set_cluster(std::move(co));
  }
  auto sa = n.login(*n.a, "a@x.test/1");
  auto sb = n.login(*n.b, "b@x.test/1");
  auto to_room = [](std::string room, std::string text) {
    return "<message to='" + room + "@conference.x.test' type='groupchat'><body>" + text + "</body></message>";
  };
  n.stanza(*n.b, *sb, to_room("hall", "home on B"));
  REQUIRE(got[1].size() == 1);
  CHECK(got[1][0].key.empty());  // handled where it arrived: nothing to tell apart
  n.stanza(*n.a, *sa, to_room("hall", "acknowledged"));
  REQUIRE(got[1].size() == 2);
  CHECK(n.a->held_count() == 0);
  const std::string first_key = got[1][1].key;
  CHECK(first_key.size() > 2);
  CHECK_FALSE(got[1][1].resent);

  // B handles the next one and dies before its ack leaves.
  b_unacked = true;
  n.stanza(*n.a, *sa, to_room("hall", "handled, then killed"));
  REQUIRE(got[1].size() == 3);
  const std::string key = got[1][2].key;
  CHECK(key != first_key);
  CHECK(key.substr(key.find('/')) == "/A");
  CHECK(n.a->held_count() == 1);
  b_dead = true;
  REQUIRE(n.reg->forget_node("B"));
  n.a->room_homes_alive(n.reg->live_nodes(now_us() / 1000000).value());
  // A is the room's new home: its component gets it with the key B saw, marked as resent.
  CHECK(n.a->held_count() == 0);
  REQUIRE(got[0].size() == 1);
  CHECK(got[0][0].body == "handled, then killed");
  CHECK(got[0][0].key == key);
  CHECK(got[0][0].resent);

  // Over the link: a stanza A holds for B is sent again when A's check finds B gone (B's
  // previous life, restarted under the same id), and the registry names B as the room's
  // home again: B gets it with its key, marked as resent.
  b_dead = false;
  REQUIRE(n.reg->heartbeat("B", 0, now_us() / 1000000));
  n.b->forget_room_home("");
  n.stanza(*n.a, *sa, to_room("den", "home on A"));
  REQUIRE(got[0].size() == 2);
  REQUIRE(n.reg->forget_node("A"));  // A's claim goes; A itself stays up
  REQUIRE(n.reg->heartbeat("A", 0, now_us() / 1000000));
  n.a->forget_room_home("");
  n.stanza(*n.b, *sb, to_room("den", "home on B now"));
  REQUIRE(got[1].size() == 4);
  // B handles the next one and its ack does not leave.
  n.stanza(*n.a, *sa, to_room("den", "for B, unanswered"));
  REQUIRE(got[1].size() == 5);
  const std::string key2 = got[1][4].key;
  CHECK_FALSE(got[1][4].resent);
  CHECK(n.a->held_count() == 1);
  b_unacked = false;
  n.a->room_homes_alive({"A"});  // B's previous life is gone; the registry names B (alive) as home
  REQUIRE(got[1].size() == 6);
  CHECK(got[1][5].body == "for B, unanswered");
  CHECK(got[1][5].key == key2);
  CHECK(got[1][5].resent);
  CHECK(n.a->held_count() == 0);  // acknowledged this time
}
