// The session state handed from node to node for XEP-0198 resumption (handover.hpp): it
// survives its trip through an envelope's text, stays within its limits, and what another
// database client could have put in a notification is refused.
#include "xmpp/router/envelope.hpp"
#include "xmpp/router/handover.hpp"
#include "xmpp/stream/parser.hpp"

using namespace hearth::xmpp;

namespace {

handover_state sample() {
  handover_state s;
  s.full = "bob@home.test/phone";
  s.sm_id = "node-a.1234abcd";
  s.in_count = 7;
  s.out_seq = 4294967295u;  // the counter wraps (XEP-0198 §5): the biggest value travels too
  s.priority = -5;
  s.available = true;
  s.interested = true;
  s.carbons = true;
  auto p = parse_fragment("<presence><show>away</show><status>a &lt;b&gt; &amp; 'q'</status></presence>");
  REQUIRE(p);
  s.presence = *p;
  s.directed = {"room@conference.home.test/Bob", "carol@else.test/x"};
  s.unacked.push_back({4294967294u, "<message from='alice@home.test/a' to='bob@home.test/phone' type='chat'>"
                                    "<body>one &amp; &quot;two&quot; &lt;3</body></message>"});
  s.unacked.push_back({4294967295u, "<presence from='alice@home.test/a' to='bob@home.test/phone'/>"});
  return s;
}

// Through the envelope text as a node sends it (relayed size, since hand-overs may be big).
std::optional<handover_answer> trip(const element& e, const handover_limits& lim = {}) {
  auto text = encode_envelope({forward_kind::handover, "node-a.1234abcd", e}, max_relayed_envelope);
  REQUIRE(text);
  auto back = decode_envelope(*text, max_relayed_envelope);
  REQUIRE(back);
  CHECK(back->kind == forward_kind::handover);
  return decode_handover(back->stanza, lim);
}

}  // namespace

TEST_CASE("handover: a session's state round-trips through an envelope") {
  const auto s = sample();
  auto e = encode_handover(s, "n1");
  REQUIRE(e);
  auto a = trip(*e);
  REQUIRE(a);
  CHECK(a->ask == "n1");
  CHECK(a->failed.empty());
  REQUIRE(a->state);
  const auto& t = *a->state;
  CHECK(t.full == s.full);
  CHECK(t.sm_id == s.sm_id);
  CHECK(t.in_count == 7);
  CHECK(t.out_seq == 4294967295u);
  CHECK(t.priority == -5);
  CHECK(t.available);
  CHECK(t.interested);
  CHECK(t.carbons);
  CHECK_FALSE(t.inactive);
  REQUIRE(t.presence);
  CHECK(serialize(*t.presence) == serialize(*s.presence));
  CHECK(t.directed == s.directed);
  REQUIRE(t.unacked.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(t.unacked[i].seq == s.unacked[i].seq);
    CHECK(t.unacked[i].xml == s.unacked[i].xml);  // byte for byte: it is resent as it is
  }
}

TEST_CASE("handover: an empty session and a refusal round-trip") {
  handover_state s;
  s.full = "bob@home.test/r";
  s.sm_id = "x";
  auto e = encode_handover(s, "n2");
  REQUIRE(e);
  auto a = trip(*e);
  REQUIRE(a);
  REQUIRE(a->state);
  CHECK(a->state->unacked.empty());
  CHECK_FALSE(a->state->presence);
  CHECK_FALSE(a->state->available);

  auto f = trip(encode_handover_failed("n3", "item-not-found"));
  REQUIRE(f);
  CHECK(f->ask == "n3");
  CHECK(f->failed == "item-not-found");
  CHECK_FALSE(f->state);
}

TEST_CASE("handover: requests round-trip and bad ones are refused") {
  handover_request r{"bob@home.test", "node-b", "nonce1", 1};
  auto back = decode_handover_request(encode_handover_request(r));
  REQUIRE(back);
  CHECK(back->user == r.user);
  CHECK(back->node == r.node);
  CHECK(back->ask == r.ask);
  CHECK(back->hops == 1);

  auto bad = [](auto edit) {
    element e = encode_handover_request({"bob@home.test", "node-b", "nonce1", 0});
    edit(e);
    return !decode_handover_request(e);
  };
  CHECK(bad([](element& e) { e.set("hops", "3"); }));  // past max_hops: a request that circles
  CHECK(bad([](element& e) { e.set("hops", "-1"); }));
  CHECK(bad([](element& e) { e.set("user", "bob@home.test/res"); }));
  CHECK(bad([](element& e) { e.set("user", "home.test"); }));
  CHECK(bad([](element& e) { e.set("node", "a b"); }));
  CHECK(bad([](element& e) { e.set("ask", ""); }));
  CHECK(bad([](element& e) { e.ns = "jabber:client"; }));
  CHECK(bad([](element& e) { e.add("x", std::string(ns_handover)); }));
}

TEST_CASE("handover: the queue's limits hold on both sides") {
  handover_limits lim;
  lim.max_stanzas = 3;
  lim.max_bytes = 200;
  auto s = sample();
  CHECK(encode_handover(s, "n", lim));
  s.unacked.push_back({1, "<message><body>3</body></message>"});
  s.unacked.push_back({2, "<message><body>4</body></message>"});
  CHECK_FALSE(encode_handover(s, "n", lim));  // four stanzas
  auto wide = encode_handover(s, "n");         // the defaults take them...
  REQUIRE(wide);
  CHECK_FALSE(decode_handover(*wide, lim));    // ...a receiver with smaller limits does not
  s.unacked.resize(1);
  s.unacked[0].xml = "<message><body>" + std::string(300, 'x') + "</body></message>";
  CHECK_FALSE(encode_handover(s, "n", lim));  // over max_bytes
  wide = encode_handover(s, "n");
  REQUIRE(wide);
  CHECK_FALSE(decode_handover(*wide, lim));

  // The default limits fit the relay table even when every byte is escaped.
  handover_state big = sample();
  big.unacked.clear();
  const std::string quotes(2000, '"');
  const std::string one = "<message><body>" + quotes + "</body></message>";
  while (big.unacked.size() * one.size() + one.size() <= handover_limits{}.max_bytes)
    big.unacked.push_back({static_cast<std::uint32_t>(big.unacked.size()), one});
  auto e = encode_handover(big, "n");
  REQUIRE(e);
  CHECK(encode_envelope({forward_kind::handover, "id", *e}, max_relayed_envelope));
}

TEST_CASE("handover: malformed answers are refused") {
  auto good = encode_handover(sample(), "n1");
  REQUIRE(good);
  auto bad = [&](auto edit) {
    element e = *good;
    edit(e);
    return !decode_handover(e);
  };
  CHECK(bad([](element& e) { e.set("jid", "bob@home.test"); }));  // a bare JID is not a session
  CHECK(bad([](element& e) { e.set("jid", "not a jid@/"); }));
  CHECK(bad([](element& e) { e.set("in", "4294967296"); }));      // over 32 bits
  CHECK(bad([](element& e) { e.set("out", "12x"); }));
  CHECK(bad([](element& e) { e.set("priority", "200"); }));
  CHECK(bad([](element& e) { e.set("available", "yes"); }));
  CHECK(bad([](element& e) { e.set("id", ""); }));
  CHECK(bad([](element& e) { e.remove_attr("ask"); }));
  CHECK(bad([](element& e) { e.add("q", std::string(ns_handover)).add_text("<message>"); }));  // not one element
  CHECK(bad([](element& e) {
    auto& q = e.add("q", std::string(ns_handover));
    q.set("seq", "9");
    q.add_text("<stream:error xmlns:stream='http://etherx.jabber.org/streams'/>");  // not a stanza
  }));
  CHECK(bad([](element& e) {
    auto& q = e.add("q", std::string(ns_handover));
    q.set("seq", "9");
    q.add_text("<message/><message/>");
  }));
  CHECK(bad([](element& e) { e.add("q", std::string(ns_handover)).add_text("<message/>"); }));  // no seq
  CHECK(bad([](element& e) { e.add("last", std::string(ns_handover)).add("message", std::string(ns_client)); }));
  CHECK(bad([](element& e) { e.add("extra", std::string(ns_handover)); }));
  CHECK(bad([](element& e) { e.add_text("text between the parts"); }));
  CHECK(bad([](element& e) { e.name = "resume"; }));
  // A refusal carries nothing else.
  CHECK_FALSE(decode_handover([] {
    element f = encode_handover_failed("n", "item-not-found");
    f.set("jid", "bob@home.test/r");
    return f;
  }()));
}

TEST_CASE("handover: presences held back by CSI travel, within their limits") {
  auto s = sample();
  s.inactive = true;
  for (const char* from : {"alice@home.test/a", "carol@else.test/x"}) {
    auto p = parse_fragment("<presence><show>dnd</show></presence>");
    REQUIRE(p);
    p->set("from", from).set("to", s.full);
    s.held.push_back(*p);
  }
  auto e = encode_handover(s, "n1");
  REQUIRE(e);
  auto a = trip(*e);
  REQUIRE(a);
  REQUIRE(a->state);
  CHECK(a->state->inactive);
  REQUIRE(a->state->held.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) CHECK(serialize(a->state->held[i]) == serialize(s.held[i]));

  handover_limits lim;
  lim.max_held = 1;
  CHECK_FALSE(encode_handover(s, "n1", lim));
  CHECK_FALSE(decode_handover(*e, lim));
  auto nameless = s;
  nameless.held[0].remove_attr("from");  // kept by sender: one without a sender is not one
  CHECK_FALSE(encode_handover(nameless, "n1"));
  element bad = *e;
  bad.add("held", std::string(ns_handover)).add("message", std::string(ns_client)).set("from", "a@b/c");
  CHECK_FALSE(decode_handover(bad));
}
