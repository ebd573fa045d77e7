#include "core/db/group_sync.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using hearth::db::detail::group_sync;

// A "commit" here is a number written to `written`; a sync copies what was written so far to
// `durable`, as an fsync would. Every waiter checks that its own write was durable when
// wait_durable() returned: that is the promise an acknowledged APPEND relies on.
TEST_CASE("group_sync: each waiter returns only after a sync that began after its write") {
  constexpr int n = 8;
  std::atomic<int> written{0};
  std::atomic<int> durable{0};
  std::atomic<int> late{0};
  group_sync* self = nullptr;
  bool first = true;  // only touched by the syncing thread, one at a time
  group_sync g([&] {
    const int snapshot = written.load();
    if (first) {
      first = false;
      // Hold the first sync until every other writer has asked, so they must share the
      // second one (bounded: 5 s, then the test fails on the count below).
      for (int i = 0; i < 5000 && self->requested() < static_cast<std::uint64_t>(n); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    int d = durable.load();
    while (snapshot > d && !durable.compare_exchange_weak(d, snapshot)) {
    }
    return true;
  });
  self = &g;
  std::vector<std::thread> ts;
  for (int i = 0; i < n; ++i) {
    ts.emplace_back([&] {
      const int mine = ++written;
      const bool ok = g.wait_durable();
      if (!ok || durable.load() < mine) ++late;
    });
  }
  for (auto& t : ts) t.join();
  CHECK(late == 0);
  CHECK(g.requested() == n);
  // The first writer's sync, then one sync shared by the seven that queued behind it.
  CHECK(g.syncs() == 2);
}

TEST_CASE("group_sync: a failed sync fails the commits it covered, and the next one succeeds") {
  int calls = 0;
  group_sync g([&] { return ++calls != 1; });
  CHECK_FALSE(g.wait_durable());
  CHECK(g.wait_durable());
  CHECK(calls == 2);
}
