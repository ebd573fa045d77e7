#include "core/net/connection.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>

#include "core/log/log.hpp"

namespace hearth::net {
namespace {

constexpr std::size_t read_chunk = 16 * 1024;
// Each wait races an operation against the connection's timer. A parallel group of deferred
// operations costs one small shared state; awaitable_operators' `||` would spawn a coroutine
// (frame and stack of its own) for each side of every read, which idle connections paid for
// as long as they waited.
namespace ex = asio::experimental;

}  // namespace

const char* status_name(read_status s) {
  switch (s) {
    case read_status::ok: return "ok";
    case read_status::too_long: return "too_long";
    case read_status::timeout: return "timeout";
    case read_status::closed: return "closed";
  }
  return "closed";
}

void connection::ssl_free::operator()(SSL* s) const { SSL_free(s); }

connection::connection(tcp::socket socket, std::shared_ptr<tls::generation> tls)
    : tls_(std::move(tls)),
      socket_(std::move(socket)),
      read_timer_(socket_.get_executor()),
      write_timer_(socket_.get_executor()),
      id_(log::new_id()) {
  boost::system::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) remote_ip_ = remote.address().to_string();
  auto local = socket_.local_endpoint(ec);
  if (!ec) local_port_ = local.port();
}

connection::~connection() = default;

std::string connection::local_ip() const {
  boost::system::error_code ec;
  auto local = socket_.local_endpoint(ec);
  return ec ? std::string() : local.address().to_string();
}

void connection::compact() {
  if (rpos_ == rbuf_.size()) {
    rbuf_.clear();
    rpos_ = 0;
  } else if (rpos_ > read_chunk) {
    rbuf_.erase(0, rpos_);
    rpos_ = 0;
  }
}

bool connection::input_ready() {
  boost::system::error_code ec;
  if (socket_.available(ec) > 0) return true;
  return tls_active_ && SSL_has_pending(ssl_.get()) == 1;
}

asio::awaitable<read_status> connection::wait(tls_io::want w, asio::steady_timer& timer,
                                              std::chrono::steady_clock::time_point deadline) {
  timer.expires_at(deadline);
  auto [order, ec, timer_ec] =
      co_await ex::make_parallel_group(socket_.async_wait(tls_io::wait_for(w), asio::deferred),
                                       timer.async_wait(asio::deferred))
          .async_wait(ex::wait_for_one(), asio::use_awaitable);
  if (order[0] == 1) co_return is_open() ? read_status::timeout : read_status::closed;
  co_return ec || !is_open() ? read_status::closed : read_status::ok;
}

asio::awaitable<read_status> connection::fill(std::chrono::steady_clock::time_point deadline) {
  if (!is_open()) co_return read_status::closed;
  if (std::chrono::steady_clock::now() >= deadline) co_return read_status::timeout;
  compact();
  if (rbuf_.empty() && !last_fill_full_ && !input_ready()) {
    // An idle connection (nothing buffered, nothing in the socket or in OpenSSL) waits without
    // a buffer: thousands of chat or IMAP IDLE connections each parking 16 KB on a read that
    // may last hours was most of their memory.
    if (rbuf_.capacity() > 1024) std::string().swap(rbuf_);
    read_status st = co_await wait(tls_io::want::read, read_timer_, deadline);
    if (st != read_status::ok) co_return st;
  }
  const std::size_t old = rbuf_.size();
  rbuf_.resize(old + read_chunk);
  std::size_t n = 0;
  if (tls_active_) {
    for (;;) {
      tls_io::step s = tls_io::read(ssl_.get(), rbuf_.data() + old, read_chunk);
      if (s.w == tls_io::want::done) {
        n = s.n;
        break;
      }
      if (s.w == tls_io::want::fail) {
        rbuf_.resize(old);
        co_return read_status::closed;
      }
      read_status st = co_await wait(s.w, read_timer_, deadline);
      if (st != read_status::ok) {
        rbuf_.resize(old);
        co_return st;
      }
    }
  } else {
    read_timer_.expires_at(deadline);
    auto [order, ec, got, timer_ec] =
        co_await ex::make_parallel_group(
            socket_.async_read_some(asio::buffer(rbuf_.data() + old, read_chunk), asio::deferred),
            read_timer_.async_wait(asio::deferred))
            .async_wait(ex::wait_for_one(), asio::use_awaitable);
    if (order[0] == 1) {
      rbuf_.resize(old);
      co_return is_open() ? read_status::timeout : read_status::closed;
    }
    if (ec || got == 0) {
      rbuf_.resize(old);
      co_return read_status::closed;
    }
    n = got;
  }
  rbuf_.resize(old + n);
  last_fill_full_ = n == read_chunk;
  co_return read_status::ok;
}

asio::awaitable<read_result> connection::read_line(std::size_t max_len, duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  read_result out;
  std::size_t scanned = 0;  // bytes after rpos_ already searched for LF
  bool discarding = false;
  for (;;) {
    std::size_t nl = rbuf_.find('\n', rpos_ + scanned);
    if (nl != std::string::npos) {
      std::size_t end = nl;
      if (end > rpos_ && rbuf_[end - 1] == '\r') {
        --end;
        out.crlf = true;
      }
      if (discarding || end - rpos_ > max_len) {
        out.status = read_status::too_long;
      } else {
        out.status = read_status::ok;
        out.data.assign(rbuf_, rpos_, end - rpos_);
      }
      rpos_ = nl + 1;
      co_return out;
    }
    // +1: the CR of a CRLF may already be here while the LF is not.
    if (!discarding && rbuf_.size() - rpos_ > max_len + 1) discarding = true;
    if (discarding) {
      // Keep memory bounded while the over-long line drains.
      rbuf_.clear();
      rpos_ = 0;
    }
    scanned = rbuf_.size() - rpos_;
    read_status st = co_await fill(deadline);
    if (st != read_status::ok) {
      out.status = st;
      co_return out;
    }
  }
}

asio::awaitable<read_result> connection::read_exact(std::size_t n, duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  read_result out;
  while (rbuf_.size() - rpos_ < n) {
    read_status st = co_await fill(deadline);
    if (st != read_status::ok) {
      out.status = st;
      co_return out;
    }
  }
  out.status = read_status::ok;
  out.data.assign(rbuf_, rpos_, n);
  rpos_ += n;
  co_return out;
}

asio::awaitable<read_result> connection::read_some(std::size_t max_len, duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  read_result out;
  if (max_len == 0) max_len = 1;
  while (!has_buffered_input()) {
    read_status st = co_await fill(deadline);
    if (st != read_status::ok) {
      out.status = st;
      co_return out;
    }
  }
  std::size_t n = std::min(max_len, rbuf_.size() - rpos_);
  out.status = read_status::ok;
  out.data.assign(rbuf_, rpos_, n);
  rpos_ += n;
  co_return out;
}

asio::awaitable<bool> connection::write(std::string_view data) {
  if (!is_open()) co_return false;
  if (!tls_active_) {
    write_timer_.expires_after(write_timeout_);
    auto [order, ec, n, timer_ec] =
        co_await ex::make_parallel_group(asio::async_write(socket_, asio::buffer(data.data(), data.size()), asio::deferred),
                                         write_timer_.async_wait(asio::deferred))
            .async_wait(ex::wait_for_one(), asio::use_awaitable);
    if (order[0] == 1 || ec) {
      close();
      co_return false;
    }
    co_return true;
  }
  const auto deadline = std::chrono::steady_clock::now() + write_timeout_;
  while (!data.empty()) {
    tls_io::step s = tls_io::write(ssl_.get(), data.data(), data.size());
    if (s.w == tls_io::want::done) {
      data.remove_prefix(s.n);
      continue;
    }
    read_status st = s.w == tls_io::want::fail ? read_status::closed : co_await wait(s.w, write_timer_, deadline);
    if (st != read_status::ok) {
      close();
      co_return false;
    }
  }
  co_return true;
}

asio::awaitable<bool> connection::start_tls(duration timeout) {
  if (!tls_) co_return false;
  co_return co_await begin_tls(tls_->front().native_handle(), tls_io::role::server, {}, timeout);
}

asio::awaitable<bool> connection::start_tls_client(asio::ssl::context& ctx, const std::string& host, duration timeout) {
  want_client_cert_ = true;  // a client always verifies (and only records the outcome)
  co_return co_await begin_tls(ctx.native_handle(), tls_io::role::client, host, timeout);
}

asio::awaitable<bool> connection::begin_tls(void* ssl_ctx, tls_io::role r, std::string host, duration timeout) {
  if (tls_active_ || ssl_ || !is_open()) co_return false;
  // CVE-2011-0411: plaintext pipelined after STARTTLS must never be read as if it had come
  // over TLS.
  rbuf_.clear();
  rpos_ = 0;
  tls_io::ignore_sigpipe();
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  if (!ec) ssl_.reset(tls_io::make_session(ssl_ctx, socket_.native_handle(), r, host, want_client_cert_));
  if (!ssl_) {
    log::warn("tls.fail", {{"conn", id_}, {"ip", remote_ip_}, {"reason", "cannot create the TLS session"}});
    close();
    co_return false;
  }
  co_return co_await handshake(std::chrono::steady_clock::now() + timeout);
}

asio::awaitable<bool> connection::handshake(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    tls_io::step s = tls_io::handshake(ssl_.get());
    if (s.w == tls_io::want::done) break;
    std::string reason;
    if (s.w == tls_io::want::fail) {
      reason = s.ec.message();
    } else {
      read_status st = co_await wait(s.w, read_timer_, deadline);
      if (st == read_status::ok) continue;
      reason = st == read_status::timeout ? "timeout" : "closed";
    }
    log::debug("tls.fail", {{"conn", id_}, {"ip", remote_ip_}, {"reason", reason}});
    close();
    co_return false;
  }
  tls_active_ = true;
  co_return true;
}

std::string connection::sni() const {
  if (!tls_active_) return {};
  return tls::sni_name(ssl_.get());
}

std::optional<std::string> connection::channel_binding_end_point() const {
  if (!tls_active_) return std::nullopt;
  return tls::channel_binding_tls_server_end_point(ssl_.get());
}

std::optional<std::string> connection::channel_binding() const {
  if (!tls_active_) return std::nullopt;
  return tls::channel_binding_tls_exporter(ssl_.get());
}

std::string connection::tls_version() const {
  if (!tls_active_) return {};
  return SSL_get_version(ssl_.get());
}

std::string connection::certificate_subject() const {
  if (!tls_active_) return {};
  return tls::local_certificate_subject(ssl_.get());
}

asio::awaitable<void> connection::shutdown() {
  if (tls_active_ && is_open()) {
    // Marking the peer's close_notify as received makes SSL_shutdown send ours and finish
    // at once instead of waiting for an answer that many clients never send.
    SSL_set_shutdown(ssl_.get(), SSL_RECEIVED_SHUTDOWN);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (int i = 0; i < 4; ++i) {
      tls_io::step s = tls_io::shutdown(ssl_.get());
      if (s.w == tls_io::want::done || s.w == tls_io::want::fail) break;
      read_status st = co_await wait(s.w, write_timer_, deadline);
      if (st != read_status::ok) break;
    }
  }
  close();
}

asio::awaitable<std::unique_ptr<connection>> dial(asio::any_io_executor executor, tcp::endpoint ep,
                                                  asio::ip::address source, duration timeout,
                                                  std::string& error) {
  tcp::socket sock(executor);
  boost::system::error_code ec;
  if (!source.is_unspecified()) {
    sock.open(ep.protocol(), ec);
    if (!ec) sock.bind(tcp::endpoint(source, 0), ec);
    if (ec) {
      error = "cannot connect from " + source.to_string() + ": " + ec.message();
      co_return nullptr;
    }
  }
  asio::steady_timer timer(executor);
  timer.expires_after(timeout);
  auto [order, connect_ec, timer_ec] =
      co_await ex::make_parallel_group(sock.async_connect(ep, asio::deferred), timer.async_wait(asio::deferred))
          .async_wait(ex::wait_for_one(), asio::use_awaitable);
  if (order[0] == 1) {
    error = "connection timed out";
    co_return nullptr;
  }
  if (connect_ec) {
    error = connect_ec.message();
    co_return nullptr;
  }
  co_return std::make_unique<connection>(std::move(sock), nullptr);
}

void connection::close() {
  boost::system::error_code ec;
  if (!socket_.is_open()) return;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

}  // namespace hearth::net
