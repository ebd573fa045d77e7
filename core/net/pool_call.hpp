// Running a function on a thread pool from a coroutine: what run_blocking (blocking.hpp) and
// run_on_store (store_pool.hpp) share.
//
// The pool thread that ran the function hands its result straight to the awaiting coroutine's
// executor (for a session, its strand). asio::co_spawn does not: a coroutine spawned on the pool
// that finishes without switching threads queues its completion on the pool once more, where it
// waits a second turn behind every task handed to the pool meanwhile (during a burst of logins,
// seconds; behind APPENDs' fsyncs, tens of milliseconds). See HACKING.md "IMAP scheduling".
#pragma once
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace hearth::net {

namespace asio = boost::asio;

namespace detail {
template <class R>
struct pool_signature {
  using type = void(std::exception_ptr, R);
};
template <>
struct pool_signature<void> {
  using type = void(std::exception_ptr);
};
}  // namespace detail

// Runs f() on `pool` and resumes the awaiting coroutine on its own executor with f's result; an
// exception thrown by f is rethrown to the awaiter. f is moved to the pool; whatever it captures
// by reference must outlive the co_await. The awaiter's executor keeps outstanding work while f
// runs, so its io_context does not run out of work meanwhile.
template <class F>
asio::awaitable<std::invoke_result_t<F>> run_on_pool(asio::thread_pool& pool, F f) {
  using R = std::invoke_result_t<F>;
  using signature = typename detail::pool_signature<R>::type;
  // Not a coroutine itself (blocking.hpp's CALLER RULE: GCC 12 and by-value coroutine parameters).
  return asio::async_initiate<const asio::use_awaitable_t<>&, signature>(
      [&pool](auto handler, F fn) {
        auto ex = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
        asio::post(pool, [h = std::move(handler), fn = std::move(fn), ex = std::move(ex)]() mutable {
          std::exception_ptr e;
          if constexpr (std::is_void_v<R>) {
            try {
              fn();
            } catch (...) {
              e = std::current_exception();
            }
            asio::dispatch(ex, [h = std::move(h), e]() mutable { std::move(h)(e); });
          } else {
            std::optional<R> r;
            try {
              r.emplace(fn());
            } catch (...) {
              e = std::current_exception();
            }
            asio::dispatch(ex, [h = std::move(h), e, r = std::move(r)]() mutable {
              if (r) std::move(h)(e, std::move(*r));
              else std::move(h)(e, R());
            });
          }
        });
      },
      asio::use_awaitable, std::move(f));
}

}  // namespace hearth::net
