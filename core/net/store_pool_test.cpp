// The store pool: its own threads, so store work goes on while every blocking-pool thread is
// held (by Argon2id checks in the server; here by tasks waiting on a promise).
#include "core/net/store_pool.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/net/blocking.hpp"
#include "core/net/test_support.hpp"

using namespace hearth::net;

TEST_CASE("run_on_store completes while every blocking-pool thread is busy") {
  const std::size_t n = blocking_pool_threads();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<std::size_t> busy{0}, finished{0};
  std::atomic<bool> gave_up{false};
  for (std::size_t i = 0; i < n; ++i)
    asio::post(blocking_pool(), [&, released] {
      ++busy;
      // Bounded: had the store work been queued behind these tasks, they end after 10 s and
      // the check below sees gave_up.
      if (released.wait_for(std::chrono::seconds(10)) == std::future_status::timeout) gave_up = true;
      ++finished;
    });
  for (int i = 0; i < 10000 && busy.load() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(busy.load() == n);

  asio::io_context io;
  auto strand = asio::make_strand(io);
  bool blocking_pool_was_full = false;
  bool back_on_strand = false;
  std::exception_ptr err;
  asio::co_spawn(strand, [&]() -> asio::awaitable<void> {
    blocking_pool_was_full = co_await run_on_store([&] { return finished.load() == 0 && !gave_up.load(); });
    back_on_strand = strand.running_in_this_thread();
  }, [&](std::exception_ptr e) { err = e; });
  io.run();
  release.set_value();
  for (int i = 0; i < 10000 && finished.load() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (err) std::rethrow_exception(err);
  CHECK(blocking_pool_was_full);
  CHECK(back_on_strand);
  CHECK_FALSE(gave_up.load());
  CHECK(finished.load() == n);
}

TEST_CASE("run_on_store: results and exceptions reach the awaiter; the size is fixed once running") {
  asio::io_context io;
  std::string caught;
  int value = 0;
  hearth::net::test::run(io, [&]() -> asio::awaitable<void> {
    value = co_await run_on_store([] { return 6 * 7; });
    try {
      co_await run_on_store([]() -> int { throw std::runtime_error("disk full"); });
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
  });
  CHECK(value == 42);
  CHECK(caught == "disk full");
  CHECK(store_pool_threads() >= 6);  // 2 x cores + 4 by default
  CHECK_FALSE(set_store_pool_threads(1));
}

TEST_CASE("run_on_store resumes the awaiter without a second turn in the pool's queue") {
  // Every other pool thread is held, and the function queues more held tasks behind itself: a
  // completion that went through the pool's queue again would wait for them (10 s, bounded).
  const std::size_t n = store_pool_threads();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<std::size_t> busy{0}, finished{0};
  std::atomic<bool> let_go{false};
  auto hold = [&, released] {
    ++busy;
    released.wait_for(std::chrono::seconds(10));
    ++finished;
  };
  for (std::size_t i = 0; i + 1 < n; ++i) asio::post(store_pool(), hold);
  for (int i = 0; i < 10000 && busy.load() < n - 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(busy.load() == n - 1);

  asio::io_context io;
  bool resumed_while_held = false;
  std::exception_ptr err;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await run_on_store([&] {
      for (std::size_t i = 0; i < n; ++i) asio::post(store_pool(), hold);
    });
    // Every held task is still waiting: none can have freed a thread for a second turn.
    resumed_while_held = finished.load() == 0;
    let_go = true;
    release.set_value();
  }, [&](std::exception_ptr e) { err = e; });
  io.run();
  if (!let_go.exchange(true)) release.set_value();
  for (int i = 0; i < 20000 && finished.load() < 2 * n - 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (err) std::rethrow_exception(err);
  CHECK(resumed_while_held);
  CHECK(finished.load() == 2 * n - 1);
}
