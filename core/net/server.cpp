#include "core/net/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <exception>
#include <thread>

#include "core/log/log.hpp"
#include "core/net/blocking.hpp"
#include "core/net/memory.hpp"

namespace hearth::net {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

const char* mode_name(config::tls_mode m) {
  return m == config::tls_mode::implicit ? "implicit" : "starttls";
}

std::string format_endpoint(const tcp::endpoint& ep) {
  if (ep.address().is_v6()) return "[" + ep.address().to_string() + "]:" + std::to_string(ep.port());
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

server::server(server_options opts, std::shared_ptr<tls::context_set> tls)
    : work_(asio::make_work_guard(io_)), opts_(opts), tls_(std::move(tls)) {}

server::~server() {
  io_.stop();
  std::lock_guard lock(mutex_);
  for (auto& c : sessions_) c->close();
}

result<std::uint16_t> server::add_listener(const std::string& name, const std::vector<std::string>& addresses,
                                           std::uint16_t port, config::tls_mode mode, handler h) {
  if (mode == config::tls_mode::implicit && !tls_)
    return fail("net.tls", "listener " + name + " needs TLS but no certificates are loaded");
  std::uint16_t bound = port;
  std::vector<std::shared_ptr<listener>> made;
  for (const auto& a : addresses) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(a, ec);
    if (ec) return fail("net.address", name + ": '" + a + "' is not an IP address");
    tcp::endpoint ep(addr, bound);
    auto l = std::make_shared<listener>();
    l->name = name;
    l->mode = mode;
    l->h = h;
    {
      std::lock_guard lock(mutex_);
      if (auto it = over_limit_.find(name); it != over_limit_.end()) l->over_limit = it->second;
    }
    l->acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(io_));
    auto& acc = *l->acceptor;
    acc.open(ep.protocol(), ec);
    if (!ec) acc.set_option(tcp::acceptor::reuse_address(true), ec);
    // v6_only so that "::" does not also claim the IPv4 port that "0.0.0.0" binds.
    if (!ec && addr.is_v6()) acc.set_option(asio::ip::v6_only(true), ec);
    if (!ec) acc.bind(ep, ec);
    if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      for (auto& m : made) m->acceptor->close(ec);
      return fail("net.bind", "cannot listen for " + name + " on " + format_endpoint(ep) + ": " + ec.message());
    }
    // With port 0 the other addresses of this listener take the same port as the first.
    bound = acc.local_endpoint(ec).port();
    l->addr = format_endpoint(acc.local_endpoint(ec));
    made.push_back(l);
  }
  for (auto& l : made) {
    log::info("listen", {{"service", name}, {"addr", l->addr}, {"tls", mode_name(mode)}});
    {
      std::lock_guard lock(mutex_);
      listeners_.push_back(l);
    }
    asio::co_spawn(l->acceptor->get_executor(), accept_loop(l), asio::detached);
  }
  return bound;
}

server::admission server::admit(const std::string& ip, bool may_overflow) {
  std::lock_guard lock(mutex_);
  if (stopping_) return admission::refused;
  auto& n = per_ip_[ip];
  if (opts_.max_connections_per_ip == 0 || n < opts_.max_connections_per_ip) {
    ++n;
    return admission::normal;
  }
  if (!may_overflow || over_total_ >= opts_.over_limit_total) return admission::refused;
  auto& o = over_per_ip_[ip];
  if (o >= opts_.over_limit_per_ip) return admission::refused;
  ++o;
  ++over_total_;
  return admission::over_limit;
}

void server::release(const std::string& ip, const std::shared_ptr<connection>& c, bool over_limit) {
  std::lock_guard lock(mutex_);
  sessions_.erase(c);
  auto& counts = over_limit ? over_per_ip_ : per_ip_;
  auto it = counts.find(ip);
  if (it != counts.end() && --it->second == 0) counts.erase(it);
  if (over_limit && over_total_ > 0) --over_total_;
  if (opts_.trim_after_closes != 0 && ++closed_since_trim_ >= opts_.trim_after_closes && !stopping_ &&
      !trim_pending_->exchange(true))
    schedule_trim();
}

void server::schedule_trim() {
  asio::post(io_, [this] {
    trim_timer_.expires_after(opts_.trim_delay);
    trim_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) {
        *trim_pending_ = false;
        return;
      }
      unsigned closed;
      std::size_t open;
      {
        std::lock_guard lock(mutex_);
        closed = closed_since_trim_;
        closed_since_trim_ = 0;
        open = sessions_.size();
      }
      asio::post(blocking_pool(), [pending = trim_pending_, closed, open] {
        const auto t0 = std::chrono::steady_clock::now();
        const std::size_t before = resident_kb();
        if (release_free_memory()) {
          const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
          const std::size_t after = resident_kb();
          // A busy server trims every few seconds: only a trim that gave back something worth
          // knowing (8 MiB) is an info line.
          const auto level = before > after + 8 * 1024 ? log::level::info : log::level::debug;
          if (log::enabled(level))
            log::write(level, "memory.trim",
                       {{"closed", closed}, {"open", std::uint64_t(open)}, {"rss_kb_before", std::uint64_t(before)},
                        {"rss_kb_after", std::uint64_t(after)}, {"ms", std::int64_t(ms.count())}});
        }
        *pending = false;
      });
    });
  });
}

std::size_t server::active_connections() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

asio::awaitable<void> server::accept_loop(std::shared_ptr<listener> l) {
  asio::steady_timer backoff(l->acceptor->get_executor());
  // EMFILE and friends: back off instead of spinning, longer while it lasts (one log line per
  // pause: 0.1 s doubling to 5 s).
  constexpr std::chrono::milliseconds first_pause{100}, max_pause{5000};
  std::chrono::milliseconds pause = first_pause;
  for (;;) {
    auto [ec, sock] = co_await l->acceptor->async_accept(asio::make_strand(io_), use_tuple);
    if (ec) {
      if (stopping_ || !l->acceptor->is_open() || ec == asio::error::operation_aborted) co_return;
      log::warn("accept.error", {{"service", l->name}, {"addr", l->addr}, {"error", ec.message()},
                                 {"retry_in_ms", std::int64_t(pause.count())}});
      backoff.expires_after(pause);
      co_await backoff.async_wait(use_tuple);
      pause = std::min(pause * 2, max_pause);
      continue;
    }
    pause = first_pause;
    boost::system::error_code ep_ec;
    auto remote = sock.remote_endpoint(ep_ec);
    std::string ip = ep_ec ? std::string("?") : remote.address().to_string();
    const admission adm = admit(ip, static_cast<bool>(l->over_limit));
    if (adm == admission::refused) {
      if (!stopping_)
        log::warn("conn.refused", {{"service", l->name}, {"ip", ip}, {"reason", "too many connections from this address"}});
      sock.close(ep_ec);
      continue;
    }
    // Every session writes whole replies at once, so Nagle only delays: a reply spanning several
    // TLS records waited ~40 ms for the client's delayed ACK of the first (measured with bench_imap).
    sock.set_option(tcp::no_delay(true), ep_ec);
    auto c = std::make_shared<connection>(std::move(sock), tls_ ? tls_->current() : nullptr);
    {
      std::lock_guard lock(mutex_);
      sessions_.insert(c);
    }
    asio::co_spawn(c->get_executor(), session(l, c, adm == admission::over_limit), asio::detached);
  }
}

void server::set_before_handshake(const std::string& name, std::function<void(connection&)> hook) {
  std::lock_guard lock(mutex_);
  before_handshake_[name] = std::move(hook);
}

void server::set_over_limit(const std::string& name, handler h) {
  std::lock_guard lock(mutex_);
  over_limit_[name] = std::move(h);
}

asio::awaitable<void> server::session(std::shared_ptr<listener> l, std::shared_ptr<connection> c, bool over_limit) {
  const std::string ip = c->remote_ip().empty() ? std::string("?") : c->remote_ip();
  log::debug("conn.open", {{"conn", c->id()}, {"service", l->name}, {"ip", ip}, {"port", unsigned(c->local_port())}});
  // The session boundary (STYLE.md habit 6): nothing a handler throws goes further.
  try {
    bool ready = true;
    if (l->mode == config::tls_mode::implicit) {
      std::function<void(connection&)> hook;
      {
        std::lock_guard lock(mutex_);
        if (auto it = before_handshake_.find(l->name); it != before_handshake_.end()) hook = it->second;
      }
      if (hook && !over_limit) hook(*c);
      ready = co_await c->start_tls(over_limit ? opts_.over_limit_handshake_timeout : opts_.handshake_timeout);
    }
    if (ready) co_await (over_limit ? l->over_limit : l->h)(*c);
  } catch (const std::exception& e) {
    log::error("session.error", {{"conn", c->id()}, {"service", l->name}, {"ip", ip}, {"error", e.what()}});
  } catch (...) {
    log::error("session.error", {{"conn", c->id()}, {"service", l->name}, {"ip", ip}, {"error", "unknown exception"}});
  }
  try {
    co_await c->shutdown();
  } catch (...) {
    c->close();
  }
  log::debug("conn.close", {{"conn", c->id()}, {"service", l->name}, {"ip", ip}});
  release(ip, c, over_limit);
}

void server::run() {
  unsigned n = opts_.threads ? opts_.threads : std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  auto loop = [this] {
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        log::error("io.error", {{"error", e.what()}});
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < n; ++i) threads.emplace_back(loop);
  loop();
  for (auto& t : threads) t.join();
}

void server::stop(std::chrono::milliseconds grace) {
  if (stopping_.exchange(true)) return;
  asio::co_spawn(io_, drain(grace), asio::detached);
}

asio::awaitable<void> server::drain(std::chrono::milliseconds grace) {
  std::vector<std::shared_ptr<listener>> ls;
  {
    std::lock_guard lock(mutex_);
    ls = listeners_;
  }
  for (auto& l : ls)
    asio::post(l->acceptor->get_executor(), [l] {
      boost::system::error_code ec;
      l->acceptor->close(ec);
    });
  asio::steady_timer t(io_);
  auto wait_until = [&](std::chrono::steady_clock::time_point deadline) -> asio::awaitable<void> {
    while (active_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
      t.expires_after(std::chrono::milliseconds(20));
      co_await t.async_wait(use_tuple);
    }
  };
  co_await wait_until(std::chrono::steady_clock::now() + grace);
  std::vector<std::shared_ptr<connection>> left;
  {
    std::lock_guard lock(mutex_);
    left.assign(sessions_.begin(), sessions_.end());
  }
  if (!left.empty()) log::info("serve.drain", {{"closing", std::uint64_t(left.size())}});
  for (auto& c : left) asio::post(c->get_executor(), [c] { c->close(); });
  co_await wait_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(300));
  work_.reset();
  io_.stop();
}

}  // namespace hearth::net
