// The blocking pool: a few threads, shared by the whole process, for work that would stall an
// I/O thread (ARCHITECTURE.md "Threads and storage"): fsync and large blob writes, Argon2id
// checks, SQLite reads behind an HTTP route. Sessions await it instead of calling inline:
//
//   response r = co_await net::run_blocking([&] { return router.dispatch(req); });
//
// Thread-safety: run_blocking may be called from any coroutine on any executor. The function
// runs on a pool thread, so it must not touch the session's strand-owned objects (pass copies
// or objects the caller does not use while it awaits).
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "core/net/pool_call.hpp"

namespace hearth::net {

namespace asio = boost::asio;

// The pool, started on first use with blocking_pool_threads() threads (default 4: enough to
// overlap a few fsyncs and password checks; more would only compete with the I/O threads for
// the same cores).
asio::thread_pool& blocking_pool();

// Sets the pool size. Has effect only before the first blocking_pool() call; returns false
// (and changes nothing) once the pool runs. n = 0 is taken as 1.
bool set_blocking_pool_threads(std::size_t n);
std::size_t blocking_pool_threads();

// Waits until every task already handed to the pool has finished, then lets its threads exit.
// For the end of `serve`: call it after the I/O threads have stopped and before destroying what
// the tasks use (the directory). Tasks submitted afterwards never run. Idempotent; does nothing
// if the pool was never started.
void drain_blocking_pool();

// CALLER RULE (GCC 12 bug): a lambda written inline in `co_await run_blocking([...] {...})` must
// capture only references and pointers (trivially destructible). GCC 12 destroys such a
// temporary twice at the end of the coroutine, so a captured std::string, shared_ptr or vector
// crashes ("free(): invalid size"). Capture locals by reference (they live in the coroutine
// frame across the co_await), or name the lambda first and std::move it in.
// Runs f() on the blocking pool and resumes the awaiting coroutine on its own executor (for a
// session: its strand) with f's result. An exception thrown by f is rethrown to the awaiter.
// f is moved to the pool; whatever it captures by reference must outlive the co_await.
template <class F>
asio::awaitable<std::invoke_result_t<F>> run_blocking(F f) {
  return run_on_pool(blocking_pool(), std::move(f));
}

}  // namespace hearth::net
