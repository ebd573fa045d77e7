// The store pool: threads for work that waits on the mail store (SQLite writes, their fsyncs,
// blob writes), kept apart from the blocking pool (blocking.hpp), which also runs Argon2id
// password checks. An Argon2id check holds a core and 19 MiB for tens of milliseconds; with one
// pool for both, a STORE or EXPUNGE queued behind a few logins or a burst of APPEND fsyncs waited
// for them. Store work mostly sleeps on the disk or on SQLite's single writer lock, so this pool
// has more threads than cores: a waiting writer holds a thread, not a core.
//
//   reply r = co_await net::run_on_store([this, &cmd] { return execute(st_, cmd); });
//
// Thread-safety: as run_blocking (blocking.hpp): callable from any coroutine; the function runs
// on a pool thread and must not touch strand-owned objects the caller uses while it awaits.
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

// The pool, started on first use with store_pool_threads() threads (default 2 x cores + 4).
asio::thread_pool& store_pool();

// Sets the pool size. Has effect only before the first store_pool() call; returns false (and
// changes nothing) once the pool runs. n = 0 is taken as 1.
bool set_store_pool_threads(std::size_t n);
std::size_t store_pool_threads();

// Waits until every task already handed to the pool has finished, then lets its threads exit.
// Same contract as drain_blocking_pool(): after the I/O threads stop, before the stores go.
void drain_store_pool();

// Runs f() on the store pool and resumes the awaiting coroutine on its own executor with f's
// result; an exception thrown by f is rethrown to the awaiter. The CALLER RULE of run_blocking
// (blocking.hpp, GCC 12) applies: an inline lambda captures only references and pointers.
template <class F>
asio::awaitable<std::invoke_result_t<F>> run_on_store(F f) {
  return run_on_pool(store_pool(), std::move(f));
}

}  // namespace hearth::net
