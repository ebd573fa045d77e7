// The blocking pool: work runs on a pool thread, the coroutine comes back to its own strand,
// results and exceptions travel back.
#include "core/net/blocking.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/net/test_support.hpp"

using namespace hearth::net;

TEST_CASE("run_blocking runs on the pool and resumes on the caller's strand") {
  asio::io_context io;
  auto strand = asio::make_strand(io);
  std::thread::id io_thread = std::this_thread::get_id();
  std::thread::id work_thread;
  bool back_on_strand = false;
  int value = 0;
  std::exception_ptr err;
  asio::co_spawn(strand, [&]() -> asio::awaitable<void> {
    value = co_await run_blocking([&] {
      work_thread = std::this_thread::get_id();
      return 42;
    });
    back_on_strand = strand.running_in_this_thread();
  }, [&](std::exception_ptr e) { err = e; });
  io.run();
  if (err) std::rethrow_exception(err);
  CHECK(value == 42);
  CHECK(back_on_strand);
  CHECK(work_thread != std::thread::id());
  CHECK(work_thread != io_thread);
}

TEST_CASE("run_blocking: void functions, move-only results and exceptions reach the awaiter") {
  asio::io_context io;
  bool ran = false;
  std::string caught;
  std::unique_ptr<int> moved;
  hearth::net::test::run(io, [&]() -> asio::awaitable<void> {
    co_await run_blocking([&] { ran = true; });
    moved = co_await run_blocking([] { return std::make_unique<int>(7); });
    try {
      co_await run_blocking([]() -> int { throw std::runtime_error("disk on fire"); });
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
  });
  CHECK(ran);
  REQUIRE(moved);
  CHECK(*moved == 7);
  CHECK(caught == "disk on fire");
}

TEST_CASE("run_blocking: many concurrent awaiters all complete") {
  asio::io_context io;
  int done = 0;
  for (int i = 0; i < 50; ++i)
    asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
      int v = co_await run_blocking([i] { return i * 2; });
      if (v == i * 2) ++done;  // io runs on this thread only: no race on `done`
    }, asio::detached);
  io.run();
  CHECK(done == 50);
  CHECK_FALSE(set_blocking_pool_threads(8));  // the pool is running: size is fixed now
}
