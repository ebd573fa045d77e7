#include "mail/managesieve/server/session.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "auth/authenticator.hpp"
#include "core/crypto/crypto.hpp"
#include "core/log/log.hpp"
#include "core/net/blocking.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace hearth::mail::managesieve {
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

struct read_outcome {
  enum kind_t { command, error, fatal, closed, timeout } kind = closed;
  managesieve::command cmd;
  std::string text;
};

read_outcome outcome(read_outcome::kind_t k, std::string text = {}) {
  read_outcome o;
  o.kind = k;
  o.text = std::move(text);
  return o;
}

// Reads one command (or SASL response) with its literals; every read has the timeout.
asio::awaitable<read_outcome> read_command(connection& c, command_reader& r, const session_options& o) {
  want w = want::line;
  for (;;) {
    if (w == want::line) {
      auto l = co_await c.read_line(o.max_line, o.timeout);
      if (l.status == read_status::timeout) co_return outcome(read_outcome::timeout);
      if (l.status == read_status::too_long) {
        r.take_error();
        co_return outcome(read_outcome::error, "Line too long");
      }
      if (!l) co_return outcome(read_outcome::closed);
      w = r.feed_line(l.data);
    } else if (w == want::literal) {
      std::size_t n = r.literal_size();
      if (n == 0) {
        w = r.feed_literal({});
        continue;
      }
      auto b = co_await c.read_exact(n, o.timeout);
      if (b.status == read_status::timeout) co_return outcome(read_outcome::timeout);
      if (!b) co_return outcome(read_outcome::closed);
      w = r.feed_literal(b.data);
    } else if (w == want::command) {
      auto o = outcome(read_outcome::command);
      o.cmd = r.take();
      co_return o;
    } else {
      auto k = w == want::fatal ? read_outcome::fatal : read_outcome::error;
      co_return outcome(k, r.take_error());
    }
  }
}

// RFC 5804 §2.1 SASL exchange: challenges go out as strings, responses come back as strings,
// "*" cancels; the server's last data (SCRAM's v=) rides in OK (SASL ...). Returns false when
// the connection must close.
asio::awaitable<bool> sasl(connection& c, engine& e, command_reader& r, const engine_env& env,
                           const session_options& o) {
  auth::context ctx{"sieve", c.remote_ip(), c.is_tls(), c.channel_binding()};
  auto ex = env.authn->start(ctx, e.sasl_mechanism());
  if (!ex) co_return co_await c.write(reply("NO", "", "Unsupported mechanism"));
  std::optional<std::string> msg;
  if (e.sasl_initial()) {
    if (!(msg = crypto::base64_decode(*e.sasl_initial()))) co_return co_await c.write(reply("NO", "", "Invalid base64"));
  }
  for (;;) {
    auth::exchange::step_result step;
    bool unavailable = false;
    try {
      step = co_await net::run_blocking(
          [&ex, &msg] { return ex->step(msg ? std::optional<std::string_view>(*msg) : std::nullopt); });
    } catch (const std::exception&) {
      unavailable = true;
    }
    if (unavailable) co_return co_await c.write(reply("NO", "TRYLATER", "Authentication unavailable"));
    if (step.kind == auth::exchange::step_result::failed) {
      co_await pause(step.final.delay);
      if (step.final.result == auth::outcome::tls_required)
        co_return co_await c.write(reply("NO", "ENCRYPT-NEEDED", "Use STARTTLS first"));
      co_return co_await c.write(reply("NO", "", "Authentication failed"));
    }
    if (step.kind == auth::exchange::step_result::ok) {
      co_await pause(step.final.delay);
      e.authenticated(step.final.address);
      log::info("managesieve.login", {{"user", step.final.address}, {"ip", c.remote_ip()}, {"mech", e.sasl_mechanism()}});
      if (step.server_data.empty()) co_return co_await c.write(reply("OK", "", "Authenticated"));
      co_return co_await c.write(reply("OK", "SASL " + quote(crypto::base64_encode(step.server_data)), "Authenticated"));
    }
    if (!co_await c.write(quote(crypto::base64_encode(step.server_data)) + "\r\n")) co_return false;
    r.expect_response();
    auto got = co_await read_command(c, r, o);
    if (got.kind == read_outcome::closed || got.kind == read_outcome::timeout) co_return false;
    if (got.kind == read_outcome::fatal) {
      co_await c.write(reply("BYE", "", got.text));
      co_return false;
    }
    if (got.kind == read_outcome::error) co_return co_await c.write(reply("NO", "", got.text));
    const std::string& answer = got.cmd.args[0].text;
    if (answer == "*") co_return co_await c.write(reply("NO", "", "Authentication cancelled"));
    msg = crypto::base64_decode(answer);
    if (!msg) co_return co_await c.write(reply("NO", "", "Invalid base64"));
  }
}

}  // namespace

net::handler make_handler(std::shared_ptr<const engine_env> env, session_options o) {
  return [env, o](connection& c) -> asio::awaitable<void> {
    engine e(*env, c.remote_ip(), c.is_tls());
    command_reader r(o.limits);
    if (!co_await c.write(e.greeting())) co_return;
    unsigned errors = 0;
    for (;;) {
      auto got = co_await read_command(c, r, o);
      if (got.kind == read_outcome::closed) co_return;
      if (got.kind == read_outcome::timeout) {
        co_await c.write(reply("BYE", "", "Idle for too long"));
        co_return;
      }
      if (got.kind == read_outcome::fatal) {
        co_await c.write(reply("BYE", "", got.text));
        co_return;
      }
      if (got.kind == read_outcome::error) {
        if (++errors > o.max_errors) {
          co_await c.write(reply("BYE", "", "Too many errors"));
          co_return;
        }
        if (!co_await c.write(reply("NO", "", got.text))) co_return;
        continue;
      }
      response resp;
      bool failed = false;
      try {
        resp = co_await net::run_blocking([&e, &got] { return e.handle(got.cmd); });
      } catch (const std::exception& ex) {
        log::warn("managesieve.error", {{"user", e.user()}, {"command", got.cmd.name}, {"error", ex.what()}});
        failed = true;
      }
      if (failed) {
        if (!co_await c.write(reply("NO", "TRYLATER", "Internal error, try again later"))) co_return;
        continue;
      }
      switch (resp.act) {
        case action::none:
          if (!co_await c.write(resp.out)) co_return;
          break;
        case action::logout:
          co_await c.write(resp.out);
          co_return;
        case action::starttls:
          if (c.has_buffered_input()) {  // CVE-2011-0411
            co_await c.write(reply("BYE", "", "Commands are not allowed after STARTTLS"));
            co_return;
          }
          if (!co_await c.write(resp.out)) co_return;
          if (!co_await c.start_tls(o.handshake_timeout)) co_return;
          if (!co_await c.write(e.tls_started())) co_return;
          break;
        case action::authenticate:
          if (!co_await sasl(c, e, r, *env, o)) co_return;
          break;
      }
    }
  };
}

}  // namespace hearth::mail::managesieve
