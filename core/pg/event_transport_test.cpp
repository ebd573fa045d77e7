// Two buses on one PostgreSQL cluster (CTest starts it around this executable, see
// pg_test.cpp), as two nodes would be: events cross through LISTEN/NOTIFY, each node sees its
// own once, and a listener whose connection the server drops comes back with a resync.
#include "core/pg/event_transport.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "core/events/wire.hpp"
#include "core/pg/pg.hpp"

using namespace hearth;
using namespace std::chrono_literals;

namespace {

std::string pg_url() {
  const char* u = std::getenv("HEARTH_TEST_PG_URL");
  if (!u) FAIL("HEARTH_TEST_PG_URL is not set: run through tests/e2e/lib/pg_cluster.py run --");
  return u;
}

// Events a subscription saw, read from the test's thread while the listener thread adds.
struct seen {
  std::mutex m;
  std::vector<events::event> v;
  void add(const events::event& e) {
    std::lock_guard lk(m);
    v.push_back(e);
  }
  std::vector<events::event> get() {
    std::lock_guard lk(m);
    return v;
  }
  std::size_t size() { return get().size(); }
};

// Waits (bounded) for a condition; never asserts a duration.
template <class F>
bool eventually(F f, std::chrono::seconds limit = 20s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return f();
}

std::shared_ptr<pg::event_transport> transport_on(const std::string& channel) {
  pg::event_transport_options o;
  o.url = pg_url();
  o.channel = channel;
  o.min_backoff = 50ms;
  o.max_backoff = 500ms;
  return std::make_shared<pg::event_transport>(o);
}

// Two buses on one channel, each with its transport, both listening.
struct two_nodes {
  std::string channel = "hearth_test_" + std::to_string(std::random_device{}() % 1000000);
  events::bus a, b;
  std::shared_ptr<pg::event_transport> ta = transport_on(channel), tb = transport_on(channel);
  two_nodes() {
    a.attach(ta);
    b.attach(tb);
    REQUIRE(eventually([&] { return ta->listener_pid() != 0 && tb->listener_pid() != 0; }));
  }
};

}  // namespace

TEST_CASE("pg event transport: two nodes, events cross once; a dropped listener resyncs", "[pg][events]") {
  two_nodes nodes;
  auto &a = nodes.a, &b = nodes.b;
  auto &ta = nodes.ta, &tb = nodes.tb;

  seen a_bob, b_bob, b_dav;
  auto s1 = a.subscribe("mail.new", "bob@home.test", [&](const events::event& e) { a_bob.add(e); });
  auto s2 = b.subscribe("mail.new", "bob@home.test", [&](const events::event& e) { b_bob.add(e); });
  auto s3 = b.subscribe("dav.change", [&](const events::event& e) { b_dav.add(e); });

  // Published on A: A's subscriber at once, B's through the database.
  a.publish({"mail.new", "bob@home.test", "INBOX"});
  CHECK(a_bob.size() == 1);
  REQUIRE(eventually([&] { return b_bob.size() == 1; }));
  CHECK(b_bob.get()[0].data == "INBOX");
  CHECK_FALSE(b_bob.get()[0].resync);

  // And back from B; events keep their order. Once A has B's last event, A has also been handed
  // its own first one by the server (NOTIFY delivers in commit order): it must not count twice.
  b.publish({"dav.change", "bob@home.test", "calendar"});
  b.publish({"mail.new", "bob@home.test", "Archive"});
  CHECK(b_dav.size() == 1);
  REQUIRE(eventually([&] { return a_bob.size() == 2; }));
  CHECK(a_bob.get()[1].data == "Archive");
  CHECK(b_bob.size() == 2);
  REQUIRE(eventually([&] { return ta->idle() && tb->idle(); }));
  a.publish({"mail.new", "bob@home.test", "marker"});
  REQUIRE(eventually([&] { return b_bob.size() == 3; }));
  CHECK(a_bob.size() == 3);
  CHECK(b_dav.size() == 1);

  // Too big for a NOTIFY: B re-checks everything instead of missing it.
  a.publish({"mail.new", "carol@home.test", std::string(events::wire::max_payload, 'x')});
  REQUIRE(eventually([&] { return b_dav.size() == 2; }));
  CHECK(b_dav.get()[1].resync);
  CHECK(b_bob.get().back().resync);

  // The server drops B's listening connection: B reconnects and resyncs, then hears A again.
  const int old_pid = tb->listener_pid();
  const auto before = b_dav.size();
  {
    auto admin = pg::connection::open(pg_url()).value();
    auto r = admin.query("SELECT pg_terminate_backend($1)", old_pid).value();
    REQUIRE(r.int64(0, 0) == 1);
  }
  REQUIRE(eventually([&] { return tb->listener_connects() >= 2 && tb->listener_pid() != 0; }));
  CHECK(tb->listener_pid() != old_pid);
  REQUIRE(eventually([&] { return b_dav.size() > before; }));
  CHECK(b_dav.get().back().resync);
  a.publish({"dav.change", "bob@home.test", "after"});
  REQUIRE(eventually([&] {
    auto v = b_dav.get();
    return !v.empty() && v.back().data == "after";
  }));

  // The server drops the senders' connections: the event in flight reaches B as itself or as
  // a resync in its place, never not at all, and the next one arrives as usual.
  {
    auto admin = pg::connection::open(pg_url()).value();
    auto r = admin.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
                         "AND pid <> pg_backend_pid() AND pid <> $1 AND pid <> $2 AND backend_type = 'client backend'",
                         ta->listener_pid(), tb->listener_pid())
                 .value();
    CHECK(r.int64(0, 0) >= 1);
  }
  const auto mark = b_dav.size();
  a.publish({"dav.change", "bob@home.test", "in flight"});
  REQUIRE(eventually([&] { return b_dav.size() > mark; }));
  auto got = b_dav.get()[mark];
  CHECK((got.resync || got.data == "in flight"));
  a.publish({"dav.change", "bob@home.test", "next"});
  REQUIRE(eventually([&] {
    auto v = b_dav.get();
    return !v.empty() && v.back().data == "next";
  }));
  a.detach();
  b.detach();
}

TEST_CASE("pg event transport: an event carried by a transaction reaches the others at its commit only",
          "[pg][events]") {
  two_nodes nodes;
  auto &a = nodes.a, &b = nodes.b;
  auto &ta = nodes.ta, &tb = nodes.tb;
  const std::string& channel = nodes.channel;
  seen a_seen, b_seen;
  auto s1 = a.subscribe("mail.changed", [&](const events::event& e) { a_seen.add(e); });
  auto s2 = b.subscribe("mail.changed", [&](const events::event& e) { b_seen.add(e); });

  const events::event rolled{"mail.changed", "bob@home.test", "Rolled"};
  const events::event kept{"mail.changed", "bob@home.test", "INBOX"};
  auto db = pg::connection::open(pg_url()).value();
  {
    auto n = a.carry(rolled);
    REQUIRE(n);
    CHECK(n->channel == channel);
    auto tx = pg::transaction::begin(db).value();
    db.queue("SELECT pg_notify($1, $2)", {pg::to_param(n->channel), pg::to_param(n->payload)});
    REQUIRE(db.flush());
  }  // rolled back: nobody hears of it
  {
    auto n = a.carry(kept);
    REQUIRE(n);
    auto tx = pg::transaction::begin(db).value();
    db.queue("SELECT pg_notify($1, $2)", {pg::to_param(n->channel), pg::to_param(n->payload)});
    REQUIRE(tx.commit());
  }
  CHECK(a.publish_carried(kept) == 1);  // A's own subscriber, at once
  REQUIRE(eventually([&] { return b_seen.size() >= 1; }));
  // Once only, on each node: A skips its own notification, and the sender sent nothing.
  std::this_thread::sleep_for(300ms);
  REQUIRE(b_seen.size() == 1);
  CHECK(b_seen.get()[0].data == "INBOX");
  CHECK(a_seen.size() == 1);
  CHECK(ta->idle());
  // Too big to be a notification: not carried (publish() sends a resync for it instead).
  CHECK_FALSE(a.carry({"mail.changed", "bob@home.test", std::string(9000, 'x')}));
  events::bus alone;
  CHECK_FALSE(alone.carry(kept));  // no transport
}
