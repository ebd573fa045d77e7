// The session registry on both engines; two node ids on one database stand for two nodes, and
// times are arguments, so leases run out without waiting.
#include "xmpp/store/registry.hpp"

#include "tests/unit/test_database.hpp"

using namespace hearth::xmpp;

namespace {
constexpr std::int64_t t0 = 1'000'000;
struct fixture {
  hearth::test_database t{GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres)};
  std::unique_ptr<session_registry> r = open_session_registry(t.target, std::chrono::seconds(60)).value();
};
}  // namespace

TEST_CASE("registry: binds by node, presence for bare-JID routing, unbind by the owning node only") {
  fixture f;
  auto& r = *f.r;
  REQUIRE(r.heartbeat("a", 0, t0));
  REQUIRE(r.heartbeat("b", 0, t0));
  REQUIRE(r.bind("u@x/phone", "a"));
  REQUIRE(r.bind("u@x/laptop", "b"));
  REQUIRE(r.bind("v@x/one", "b"));
  REQUIRE(r.update("u@x/laptop", "b", 5, true, "<presence><priority>5</priority></presence>"));
  // Another node's update of a row it does not hold changes nothing.
  REQUIRE(r.update("u@x/phone", "b", 9, true, "<presence/>"));

  auto s = r.sessions_of("u@x", t0).value();
  REQUIRE(s.size() == 2);
  CHECK(s[0].full == "u@x/laptop");
  CHECK(s[0].node == "b");
  CHECK(s[0].available);
  CHECK(s[0].priority == 5);
  CHECK(s[0].presence == "<presence><priority>5</priority></presence>");
  CHECK(s[1].full == "u@x/phone");
  CHECK(s[1].node == "a");
  CHECK_FALSE(s[1].available);
  CHECK(s[1].presence.empty());

  auto one = r.find("v@x/one", t0).value();
  REQUIRE(one);
  CHECK(one->node == "b");
  CHECK_FALSE(r.find("v@x/two", t0).value());

  // Unavailable clears the stored presence.
  REQUIRE(r.update("u@x/laptop", "b", 5, false, "<presence/>"));
  CHECK(r.find("u@x/laptop", t0).value()->presence.empty());

  // The same resource bound again on node a (a reconnect elsewhere) moves it; b's late unbind
  // of its old session leaves the new one alone.
  REQUIRE(r.bind("v@x/one", "a"));
  REQUIRE(r.unbind("v@x/one", "b"));
  REQUIRE(r.find("v@x/one", t0).value());
  CHECK(r.find("v@x/one", t0).value()->node == "a");
  REQUIRE(r.unbind("v@x/one", "a"));
  CHECK_FALSE(r.find("v@x/one", t0).value());
}

TEST_CASE("registry: a node's rows vanish when its lease runs out, and at its restart") {
  fixture f;
  auto& r = *f.r;
  REQUIRE(r.heartbeat("a", 0, t0));
  REQUIRE(r.heartbeat("b", 0, t0));
  REQUIRE(r.bind("u@x/a", "a"));
  REQUIRE(r.bind("u@x/b", "b"));
  // a keeps beating, b stopped (killed with -9).
  REQUIRE(r.heartbeat("a", 0, t0 + 50));
  CHECK(r.sessions_of("u@x", t0 + 59).value().size() == 2);
  auto later = r.sessions_of("u@x", t0 + 61).value();
  REQUIRE(later.size() == 1);
  CHECK(later[0].node == "a");
  CHECK_FALSE(r.find("u@x/b", t0 + 61).value());
  auto gone = r.expire(t0 + 61).value();
  REQUIRE(gone.size() == 1);
  CHECK(gone[0].full == "u@x/b");
  CHECK(gone[0].node == "b");
  CHECK(r.expire(t0 + 61).value().empty());
  // b comes back with a heartbeat: its old rows are gone for good.
  REQUIRE(r.heartbeat("b", 0, t0 + 62));
  CHECK(r.sessions_of("u@x", t0 + 62).value().size() == 1);

  // A restarted node forgets what its previous life left.
  REQUIRE(r.bind("u@x/b2", "b"));
  CHECK(r.sessions_of("u@x", t0 + 62).value().size() == 2);
  REQUIRE(r.forget_node("b"));
  REQUIRE(r.heartbeat("b", 0, t0 + 63));
  CHECK(r.sessions_of("u@x", t0 + 63).value().size() == 1);
}

TEST_CASE("registry: a room has one home node, taken over when that node is gone") {
  fixture f;
  auto& r = *f.r;
  REQUIRE(r.heartbeat("a", 0, t0));
  REQUIRE(r.heartbeat("b", 0, t0));
  auto first = r.room_home("room@conference.x", "b", t0).value();
  CHECK(first.node == "b");
  CHECK(first.claimed);
  auto held = r.room_home("room@conference.x", "a", t0).value();
  CHECK(held.node == "b");
  CHECK_FALSE(held.claimed);
  CHECK_FALSE(r.room_home("room@conference.x", "b", t0).value().claimed);  // b asks again: still its own
  CHECK(r.room_home("other@conference.x", "a", t0).value().node == "a");
  REQUIRE(r.heartbeat("a", 0, t0 + 100));
  // b's lease ran out: a takes the room over, and is told so once.
  auto taken = r.room_home("room@conference.x", "a", t0 + 100).value();
  CHECK(taken.node == "a");
  CHECK(taken.claimed);
  CHECK(r.room_home("room@conference.x", "b", t0 + 100).value().node == "a");
  CHECK_FALSE(r.room_home("room@conference.x", "a", t0 + 100).value().claimed);
}

TEST_CASE("registry: the live nodes, for the hubs' cached room homes") {
  fixture f;
  auto& r = *f.r;
  REQUIRE(r.heartbeat("b", 0, t0));
  REQUIRE(r.heartbeat("a", 0, t0));
  CHECK(r.live_nodes(t0).value() == std::vector<std::string>{"a", "b"});
  REQUIRE(r.heartbeat("a", 0, t0 + 100));
  CHECK(r.live_nodes(t0 + 100).value() == std::vector<std::string>{"a"});
  REQUIRE(r.forget_node("a"));
  CHECK(r.live_nodes(t0 + 100).value().empty());
}

TEST_CASE("registry: on PostgreSQL a node whose database connection ended is gone before its lease") {
  fixture f;
  auto& r = *f.r;
  // A process id no PostgreSQL backend has (pids are positive and below 2^22 on Linux).
  const std::int64_t dead_backend = 2'000'000'000;
  REQUIRE(r.heartbeat("a", 0, t0));
  REQUIRE(r.heartbeat("b", dead_backend, t0));
  REQUIRE(r.bind("u@x/b", "b"));
  REQUIRE(r.bind("u@x/a", "a"));
  auto s = r.sessions_of("u@x", t0).value();
  if (f.t.engine == hearth::sql::engine::postgres) {
    REQUIRE(s.size() == 1);
    CHECK(s[0].node == "a");
    CHECK(r.expire(t0).value().size() == 1);
  } else {
    // SQLite has no such thing: the lease alone decides.
    CHECK(s.size() == 2);
    CHECK(r.expire(t0).value().empty());
  }
}

TEST_CASE("registry: relayed stanzas are taken once, by their node, and expire") {
  fixture f;
  auto& r = *f.r;
  REQUIRE(r.heartbeat("a", 0, t0));
  REQUIRE(r.heartbeat("b", 0, t0));
  const std::string big(20000, 'x');
  auto id = r.relay_put("b", big, t0).value();
  CHECK_FALSE(r.relay_take(id, "a").value());  // not a's
  auto got = r.relay_take(id, "b").value();
  REQUIRE(got);
  CHECK(*got == big);
  CHECK_FALSE(r.relay_take(id, "b").value());  // once
  auto lost = r.relay_put("b", "never taken", t0).value();
  REQUIRE(r.heartbeat("a", 0, t0 + 100));
  REQUIRE(r.heartbeat("b", 0, t0 + 100));
  REQUIRE(r.expire(t0 + 100));
  CHECK_FALSE(r.relay_take(lost, "b").value());
}
