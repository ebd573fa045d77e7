#include "core/events/bus.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

using namespace hearth::events;

TEST_CASE("subscribe, publish, unsubscribe", "[events]") {
  bus b;
  std::vector<std::string> got;
  auto sub = b.subscribe("mail.new", [&](const event& e) { got.push_back(e.key + ":" + e.data); });
  CHECK(b.subscribers("mail.new") == 1);
  CHECK(b.publish({"mail.new", "alice@home.test", "INBOX"}) == 1);
  CHECK(b.publish({"mail.other", "alice@home.test", "INBOX"}) == 0);
  CHECK(got == std::vector<std::string>{"alice@home.test:INBOX"});
  sub.reset();
  CHECK_FALSE(sub.active());
  CHECK(b.subscribers("mail.new") == 0);
  CHECK(b.publish({"mail.new", "bob@home.test", "INBOX"}) == 0);
  CHECK(got.size() == 1);
  sub.reset();  // idempotent
}

TEST_CASE("keyed subscriptions see only their key", "[events]") {
  bus b;
  int alice = 0, bob = 0, all = 0;
  auto s1 = b.subscribe("mail.new", "alice@home.test", [&](const event&) { ++alice; });
  auto s2 = b.subscribe("mail.new", "bob@home.test", [&](const event&) { ++bob; });
  auto s3 = b.subscribe("mail.new", [&](const event&) { ++all; });
  CHECK(b.subscribers("mail.new") == 3);
  CHECK(b.subscribers("mail.ne") == 0);
  b.publish({"mail.new", "alice@home.test", ""});
  b.publish({"mail.new", "alice@home.test", ""});
  b.publish({"mail.new", "carol@home.test", ""});
  b.publish({"dav.changed", "alice@home.test", ""});
  CHECK(alice == 2);
  CHECK(bob == 0);
  CHECK(all == 3);
}

TEST_CASE("destruction and move unsubscribe", "[events]") {
  bus b;
  int n = 0;
  {
    auto s = b.subscribe("t", [&](const event&) { ++n; });
    subscription moved = std::move(s);
    CHECK_FALSE(s.active());
    CHECK(moved.active());
    b.publish({"t", "", ""});
    subscription other = b.subscribe("t", [&](const event&) { n += 100; });
    other = std::move(moved);  // the old `other` unsubscribes
    CHECK(b.subscribers("t") == 1);
  }
  CHECK(b.subscribers("t") == 0);
  b.publish({"t", "", ""});
  CHECK(n == 1);
}

TEST_CASE("a callback may unsubscribe itself and publish", "[events]") {
  bus b;
  int calls = 0, echoes = 0;
  subscription self;
  self = b.subscribe("once", [&](const event& e) {
    ++calls;
    self.reset();
    b.publish({"echo", e.key, ""});
  });
  auto echo = b.subscribe("echo", [&](const event&) { ++echoes; });
  b.publish({"once", "k", ""});
  b.publish({"once", "k", ""});
  CHECK(calls == 1);
  CHECK(echoes == 1);
}

TEST_CASE("subscription outliving the bus", "[events]") {
  subscription s;
  {
    bus b;
    s = b.subscribe("t", [](const event&) {});
  }
  s.reset();  // must not touch the destroyed bus
  CHECK_FALSE(s.active());
}

TEST_CASE("two threads publish while a third subscribes and unsubscribes", "[events]") {
  bus b;
  std::atomic<int> total{0};
  std::atomic<bool> stop{false};
  std::atomic<int> late_calls{0};  // Catch2 assertions are not thread-safe: count, check after
  auto counter = b.subscribe("n", [&](const event&) { total.fetch_add(1); });
  auto publisher = [&] {
    for (int i = 0; i < 20000; ++i) b.publish({"n", std::to_string(i % 7), ""});
  };
  std::thread churn([&] {
    while (!stop.load()) {
      // After reset() returns, its callback must never run again: the flag proves it.
      auto alive = std::make_shared<std::atomic<bool>>(true);
      auto s = b.subscribe("n", "3", [alive, &late_calls](const event&) {
        if (!alive->load()) late_calls.fetch_add(1);
      });
      std::this_thread::yield();
      s.reset();
      alive->store(false);
    }
  });
  std::thread t1(publisher), t2(publisher);
  t1.join();
  t2.join();
  stop = true;
  churn.join();
  CHECK(total.load() == 40000);
  CHECK(late_calls.load() == 0);
  CHECK(b.subscribers("n") == 1);
}
