// The bus's side of the transport contract (bus.hpp): what attach() sends and delivers, and
// what a resync reaches. The two buses are joined by `loopback` below, an in-process stand-in
// for the network (the PostgreSQL transport is tested in core/pg/event_transport_test.cpp).
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/events/bus.hpp"
#include "core/events/wire.hpp"

using namespace hearth::events;

namespace {

// Hands what one bus sends to the other's receiver, through the wire encoding, at once.
struct loopback : transport {
  std::string origin;
  receiver r;
  loopback* peer = nullptr;
  int sent = 0;
  bool stopped = false;
  explicit loopback(std::string o) : origin(std::move(o)) {}
  void start(receiver x) override { r = std::move(x); }
  void send(const event& e) override {
    ++sent;
    auto p = wire::encode(origin, e);
    if (!p) p = wire::encode(origin, event{{}, {}, {}, true});
    auto d = wire::decode(*p);
    REQUIRE(d);
    if (peer && d->origin != peer->origin && !peer->stopped) peer->r.deliver(d->ev);
  }
  void stop() override { stopped = true; }
};

}  // namespace

TEST_CASE("attached buses: events cross once, resync reaches every subscription", "[events][transport]") {
  bus a, b;
  auto pa = std::make_shared<loopback>("a"), pb = std::make_shared<loopback>("b");
  pa->peer = pb.get();
  pb->peer = pa.get();
  a.attach(pa);
  b.attach(pb);

  std::vector<event> on_a, on_b, on_b_all;
  auto sa = a.subscribe("mail.new", "bob@home.test", [&](const event& e) { on_a.push_back(e); });
  auto sb = b.subscribe("mail.new", "bob@home.test", [&](const event& e) { on_b.push_back(e); });
  auto sb_all = b.subscribe("dav.change", [&](const event& e) { on_b_all.push_back(e); });

  CHECK(a.publish({"mail.new", "bob@home.test", "INBOX/Sub"}) == 1);
  REQUIRE(on_a.size() == 1);
  REQUIRE(on_b.size() == 1);
  CHECK(on_b[0].data == "INBOX/Sub");
  CHECK_FALSE(on_b[0].resync);
  // What arrives from the other node is not sent back.
  CHECK(pb->sent == 0);
  CHECK(pa->sent == 1);

  // An event too big for the wire reaches the other node as a resync of every subscription,
  // each with its own topic and key.
  a.publish({"mail.new", "carol@home.test", std::string(wire::max_payload, 'x')});
  REQUIRE(on_b.size() == 2);
  CHECK(on_b[1].resync);
  CHECK(on_b[1].topic == "mail.new");
  CHECK(on_b[1].key == "bob@home.test");
  CHECK(on_b[1].data.empty());
  REQUIRE(on_b_all.size() == 1);
  CHECK(on_b_all[0].topic == "dav.change");
  CHECK(on_b_all[0].key.empty());

  CHECK(b.resync() == 2);
  CHECK(on_b.size() == 3);

  b.detach();
  CHECK(pb->stopped);
  a.publish({"mail.new", "bob@home.test", "INBOX"});
  CHECK(on_b.size() == 3);
  CHECK(on_a.size() == 2);  // carol's event was not for this subscription
}

TEST_CASE("wire: events round-trip; what cannot travel is refused", "[events][wire]") {
  event e{"mail.new", "bob@home.test", "Dossiers/Été 2026"};
  auto p = wire::encode("n1", e).value();
  auto d = wire::decode(p).value();
  CHECK(d.origin == "n1");
  CHECK(d.ev.topic == e.topic);
  CHECK(d.ev.key == e.key);
  CHECK(d.ev.data == e.data);
  CHECK_FALSE(d.ev.resync);
  // Keys may hold spaces and line feeds: the lengths delimit them, not separators.
  event odd{"t", "a b\nc", " \n"};
  auto o = wire::decode(wire::encode("n1", odd).value()).value();
  CHECK(o.ev.key == odd.key);
  CHECK(o.ev.data == odd.data);
  auto r = wire::decode(wire::encode("n2", event{{}, {}, {}, true}).value()).value();
  CHECK(r.ev.resync);

  CHECK_FALSE(wire::encode("", e));
  CHECK_FALSE(wire::encode("a b", e));
  CHECK_FALSE(wire::encode("n1", event{"t", "k", std::string("a\0b", 3)}));
  CHECK_FALSE(wire::encode("n1", event{"t", "k", "\xC3"}));            // cut UTF-8
  CHECK_FALSE(wire::encode("n1", event{"t", "k", "\xED\xA0\x80"}));    // a surrogate
  CHECK_FALSE(wire::encode("n1", event{"t", "k", std::string(wire::max_payload, 'x')}));
  CHECK(wire::encode("n1", event{"t", "k", std::string(wire::max_payload - 20, 'x')}));

  CHECK_FALSE(wire::decode(""));
  CHECK_FALSE(wire::decode("e2 n1 - 1 1\ntkd"));
  CHECK_FALSE(wire::decode("e1 n1 - 5 1\ntkd"));      // lengths past the end
  CHECK_FALSE(wire::decode("e1 n1 - 01 1\ntkd"));     // leading zero
  CHECK_FALSE(wire::decode("e1 n1 - 0 1\nk"));        // no topic
  CHECK_FALSE(wire::decode("e1 n1 r 0 0\nx"));        // a resync carries nothing
  CHECK_FALSE(wire::decode("e1 n1 ? 1 1\ntk"));
  CHECK_FALSE(wire::decode("e1 n1 - 1 1"));           // no header end
  CHECK_FALSE(wire::decode("e1 n1 - 2 1\n\xC3\xA9k\xC3"));
  CHECK_FALSE(wire::decode("e1 n1 - 1 1\n\xC3\xA9k"));  // the topic length cuts a character
}
