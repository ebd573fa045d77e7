#include "mail/pop3/session.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "auth/authenticator.hpp"
#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "core/net/blocking.hpp"
#include "core/util/strings.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace hearth::mail::pop3 {
namespace {

namespace asio = boost::asio;
using net::connection;
using net::read_status;

asio::awaitable<void> pause(std::chrono::milliseconds d) {
  if (d.count() <= 0) co_return;
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(asio::use_awaitable);
}

// RFC 5034 SASL exchange. Returns false when the connection must close.
asio::awaitable<bool> sasl(connection& c, engine& e, const engine_env& env, const session_options& o) {
  auth::context ctx{"pop3", c.remote_ip(), c.is_tls(), c.channel_binding()};
  auto ex = env.authn->start(ctx, e.sasl_mechanism());
  if (!ex) co_return co_await c.write("-ERR Unsupported mechanism\r\n");
  std::optional<std::string> msg;
  if (e.sasl_initial()) {
    if (*e.sasl_initial() == "=") msg = std::string();
    else if (!(msg = crypto::base64_decode(*e.sasl_initial()))) co_return co_await c.write("-ERR Invalid base64\r\n");
  }
  bool final_sent = false;
  for (;;) {
    auth::exchange::step_result step;
    bool unavailable = false;
    try {
      step = co_await net::run_blocking(
          [&ex, &msg] { return ex->step(msg ? std::optional<std::string_view>(*msg) : std::nullopt); });
    } catch (const std::exception&) {
      unavailable = true;
    }
    if (unavailable) co_return co_await c.write("-ERR [SYS/TEMP] Authentication unavailable\r\n");
    if (step.kind == auth::exchange::step_result::failed) {
      co_await pause(step.final.delay);
      co_return co_await c.write("-ERR [AUTH] Authentication failed\r\n");
    }
    if (step.kind == auth::exchange::step_result::ok && (step.server_data.empty() || final_sent)) {
      co_await pause(step.final.delay);
      // Capture by reference only: GCC 12 destroys a by-value capture of a lambda temporary
      // in a co_await twice (see core/net/blocking.hpp).
      const std::string addr = step.final.address;
      auto r = co_await net::run_blocking([&e, &addr] { return e.sasl_success(addr); });
      co_return co_await c.write(r.out);
    }
    if (!co_await c.write("+ " + crypto::base64_encode(step.server_data) + "\r\n")) co_return false;
    auto l = co_await c.read_line(64 * 1024, o.timeout);
    if (!l) co_return false;
    if (l.data == "*") co_return co_await c.write("-ERR Authentication cancelled\r\n");
    if (step.kind == auth::exchange::step_result::ok) {
      final_sent = true;
      continue;
    }
    msg = crypto::base64_decode(util::trim(l.data));
    if (!msg) co_return co_await c.write("-ERR Invalid base64\r\n");
  }
}

}  // namespace

net::handler make_handler(std::shared_ptr<const engine_env> env, bool implicit_tls, session_options o) {
  return [env, implicit_tls, o](connection& c) -> asio::awaitable<void> {
    engine e(*env, c.remote_ip(), c.is_tls(), !implicit_tls);
    if (!co_await c.write(e.greeting())) co_return;
    unsigned errors = 0;
    for (;;) {
      auto l = co_await c.read_line(o.max_line, o.timeout);
      if (l.status == read_status::too_long) {
        if (!co_await c.write("-ERR Line too long\r\n")) co_return;
        if (++errors > o.max_errors) co_return;
        continue;
      }
      if (l.status == read_status::timeout) {
        co_await c.write("-ERR Autologout, idle for too long\r\n");
        co_return;
      }
      if (!l) co_return;
      std::string line = std::move(l.data);
      response r = co_await net::run_blocking([&e, &line] { return e.handle(line); });
      co_await pause(r.delay);
      if (r.out.starts_with("-ERR") && ++errors > o.max_errors) {
        co_await c.write("-ERR Too many errors\r\n");
        co_return;
      }
      switch (r.act) {
        case action::none:
          if (!co_await c.write(r.out)) co_return;
          break;
        case action::quit:
          co_await c.write(r.out);
          co_return;
        case action::starttls:
          if (c.has_buffered_input()) {  // CVE-2011-0411
            co_await c.write("-ERR Commands are not allowed after STLS\r\n");
            co_return;
          }
          if (!co_await c.write(r.out)) co_return;
          if (!co_await c.start_tls(o.handshake_timeout)) co_return;
          e.tls_started();
          break;
        case action::sasl:
          if (!co_await sasl(c, e, *env, o)) co_return;
          break;
      }
    }
  };
}

}  // namespace hearth::mail::pop3
