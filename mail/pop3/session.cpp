#include "mail/pop3/session.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "auth/authenticator.hpp"
#include "core/blob/reader.hpp"
#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "core/net/blocking.hpp"
#include "core/net/store_pool.hpp"
#include "core/sql/write_guard.hpp"
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

// Loads the maildrop after a successful login. On SQLite (inline_reads) it is a short read run
// here on the I/O thread, with writes refused (core/sql/write_guard.hpp); an account's first
// login makes its default mailboxes, a write, so then the engine's state is put back and the
// load runs again on the store pool. Nothing in the inline part may suspend.
template <class F>
asio::awaitable<response> load_maildrop(engine& e, const session_options& o, F load) {
  if (o.inline_reads) {
    engine saved = e;
    std::optional<response> r;
    {
      sql::no_write_scope reads_only;
      r = load(e);
      if (reads_only.write_attempted()) r.reset();
    }
    if (r) co_return std::move(*r);
    e = std::move(saved);
  }
  co_return co_await net::run_on_store([&e, &load] { return load(e); });
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
      auto r = co_await load_maildrop(e, o, [&addr](engine& en) { return en.sasl_success(addr); });
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

// Sends a large message after its "+OK" line (engine.hpp streamed_body): read on the store pool
// a piece at a time, dot-stuffed as it goes, so it is never in memory whole. Once the "+OK"
// is out a failed read cannot be reported; the connection ends without the final "." so the
// client sees an incomplete message, not a short one passed as whole.
asio::awaitable<bool> send_body(connection& c, const blob::store& blobs, const streamed_body& b) {
  constexpr std::size_t piece_bytes = 256 * 1024;
  auto opened = co_await net::run_on_store([&blobs, &b] { return blob::open_reader(blobs, b.blob_id); });
  if (!opened) {
    log::error("pop3.body_read", {{"conn", c.id()}, {"blob", b.blob_id}, {"error", opened.error().message}});
    co_return false;
  }
  blob::reader& rd = **opened;
  dot_stuffer stuff(b.max_body_lines);
  std::string out;
  for (std::uint64_t at = 0; at < rd.size();) {
    auto piece = co_await net::run_on_store([&rd, at] { return rd.read(at, piece_bytes); });
    if (!piece || piece->empty()) {
      log::error("pop3.body_read", {{"conn", c.id()}, {"blob", b.blob_id},
                                    {"error", piece ? std::string("the blob ends early") : piece.error().message}});
      co_return false;
    }
    at += piece->size();
    out.clear();
    const bool more = stuff.feed(*piece, out);
    if (!co_await c.write(out)) co_return false;
    if (!more) break;
  }
  out.clear();
  stuff.finish(out);
  co_return co_await c.write(out);
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
      response r;
      switch (e.placement(line)) {
        case runs_on::io:
          r = e.handle(line);
          break;
        case runs_on::blocking:
          r = co_await net::run_blocking([&e, &line] { return e.handle(line); });
          break;
        case runs_on::store:
          r = co_await net::run_on_store([&e, &line] { return e.handle(line); });
          break;
      }
      if (r.act == action::login) {
        const auto delay = r.delay;
        r = co_await load_maildrop(e, o, [](engine& en) { return en.finish_login(); });
        r.delay = delay;
      }
      co_await pause(r.delay);
      if (r.out.starts_with("-ERR") && ++errors > o.max_errors) {
        co_await c.write("-ERR Too many errors\r\n");
        co_return;
      }
      switch (r.act) {
        case action::none:
        case action::login:
          if (!co_await c.write(r.out)) co_return;
          if (r.body && !co_await send_body(c, *env->blobs, *r.body)) co_return;
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
