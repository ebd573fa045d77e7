#include "core/net/connection.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>

#include "core/log/log.hpp"

namespace hearth::net {
namespace {

constexpr std::size_t read_chunk = 16 * 1024;
// A read that waits on an idle connection (nothing buffered, nothing pending in the socket or
// in OpenSSL) uses a small buffer: thousands of idle connections each parking 16 KB on a read
// that may last hours was most of their memory. A read that fills it is followed by a full one.
constexpr std::size_t idle_chunk = 512;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Connections made without a TLS generation still need a context to build the stream with;
// it has no certificate, and start_tls() refuses to use it.
asio::ssl::context& plain_context() {
  static asio::ssl::context ctx(asio::ssl::context::tls_server);
  return ctx;
}

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

connection::connection(tcp::socket socket, std::shared_ptr<tls::generation> tls)
    : tls_(std::move(tls)),
      stream_(std::move(socket), tls_ ? tls_->front() : plain_context()),
      read_timer_(stream_.get_executor()),
      write_timer_(stream_.get_executor()),
      id_(log::new_id()) {
  boost::system::error_code ec;
  auto remote = stream_.next_layer().remote_endpoint(ec);
  if (!ec) remote_ip_ = remote.address().to_string();
  auto local = stream_.next_layer().local_endpoint(ec);
  if (!ec) local_port_ = local.port();
}

connection::~connection() = default;

void connection::compact() {
  if (rpos_ == rbuf_.size()) {
    rbuf_.clear();
    rpos_ = 0;
  } else if (rpos_ > read_chunk) {
    rbuf_.erase(0, rpos_);
    rpos_ = 0;
  }
}

asio::awaitable<read_status> connection::fill(std::chrono::steady_clock::time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  if (!is_open()) co_return read_status::closed;
  if (std::chrono::steady_clock::now() >= deadline) co_return read_status::timeout;
  compact();
  std::size_t chunk = read_chunk;
  if (rbuf_.empty() && !last_fill_full_) {
    boost::system::error_code ec;
    const bool ready = stream_.next_layer().available(ec) > 0 ||
                       (tls_active_ && SSL_pending(stream_.native_handle()) > 0);
    if (!ready) {
      chunk = idle_chunk;
      // Give the large buffer back while the connection waits.
      if (rbuf_.capacity() > 2 * idle_chunk) std::string().swap(rbuf_);
    }
  }
  const std::size_t old = rbuf_.size();
  rbuf_.resize(old + chunk);
  auto buf = asio::buffer(rbuf_.data() + old, chunk);
  read_timer_.expires_at(deadline);
  std::variant<std::tuple<boost::system::error_code, std::size_t>, std::tuple<boost::system::error_code>> r;
  if (tls_active_)
    r = co_await (stream_.async_read_some(buf, use_tuple) || read_timer_.async_wait(use_tuple));
  else
    r = co_await (stream_.next_layer().async_read_some(buf, use_tuple) || read_timer_.async_wait(use_tuple));
  if (r.index() == 1) {
    rbuf_.resize(old);
    co_return is_open() ? read_status::timeout : read_status::closed;
  }
  auto [ec, n] = std::get<0>(r);
  rbuf_.resize(old + n);
  last_fill_full_ = n == chunk;
  if (n > 0) co_return read_status::ok;
  co_return ec ? read_status::closed : read_status::ok;
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
  using namespace asio::experimental::awaitable_operators;
  if (!is_open()) co_return false;
  write_timer_.expires_after(write_timeout_);
  auto buf = asio::buffer(data.data(), data.size());
  std::variant<std::tuple<boost::system::error_code, std::size_t>, std::tuple<boost::system::error_code>> r;
  if (tls_active_)
    r = co_await (asio::async_write(stream_, buf, use_tuple) || write_timer_.async_wait(use_tuple));
  else
    r = co_await (asio::async_write(stream_.next_layer(), buf, use_tuple) || write_timer_.async_wait(use_tuple));
  if (r.index() == 1 || std::get<0>(std::get<0>(r))) {
    close();
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> connection::start_tls(duration timeout) {
  using namespace asio::experimental::awaitable_operators;
  if (!tls_ || tls_active_ || !is_open()) co_return false;
  // CVE-2011-0411: plaintext pipelined after STARTTLS must never be read as if it had come
  // over TLS.
  rbuf_.clear();
  rpos_ = 0;
  read_timer_.expires_after(timeout);
  auto r = co_await (stream_.async_handshake(asio::ssl::stream_base::server, use_tuple) ||
                     read_timer_.async_wait(use_tuple));
  if (r.index() == 1) {
    log::debug("tls.fail", {{"conn", id_}, {"ip", remote_ip_}, {"reason", "timeout"}});
    close();
    co_return false;
  }
  if (auto [ec] = std::get<0>(r); ec) {
    log::debug("tls.fail", {{"conn", id_}, {"ip", remote_ip_}, {"reason", ec.message()}});
    close();
    co_return false;
  }
  tls_active_ = true;
  co_return true;
}

std::string connection::sni() const {
  if (!tls_active_) return {};
  return tls::sni_name(const_cast<connection*>(this)->stream_.native_handle());
}

std::optional<std::string> connection::channel_binding() const {
  if (!tls_active_) return std::nullopt;
  return tls::channel_binding_tls_exporter(const_cast<connection*>(this)->stream_.native_handle());
}

std::string connection::tls_version() const {
  if (!tls_active_) return {};
  return SSL_get_version(const_cast<connection*>(this)->stream_.native_handle());
}

std::string connection::certificate_subject() const {
  if (!tls_active_) return {};
  return tls::local_certificate_subject(const_cast<connection*>(this)->stream_.native_handle());
}

asio::awaitable<void> connection::shutdown() {
  using namespace asio::experimental::awaitable_operators;
  if (tls_active_ && is_open()) {
    // Marking the peer's close_notify as received makes SSL_shutdown send ours and finish
    // at once instead of waiting for an answer that many clients never send.
    SSL_set_shutdown(stream_.native_handle(), SSL_RECEIVED_SHUTDOWN);
    write_timer_.expires_after(std::chrono::seconds(1));
    co_await (stream_.async_shutdown(use_tuple) || write_timer_.async_wait(use_tuple));
  }
  close();
}

void connection::close() {
  boost::system::error_code ec;
  auto& s = stream_.next_layer();
  if (!s.is_open()) return;
  s.shutdown(tcp::socket::shutdown_both, ec);
  s.close(ec);
}

}  // namespace hearth::net
