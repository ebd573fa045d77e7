// One client connection, plain or TLS, with the shared line/literal reader.
//
// The same type serves both states so that STARTTLS is a method call, not a change of type:
// it owns the TCP socket, and start_tls() puts an OpenSSL session on it (core/net/tls_io.hpp:
// no per-connection buffers while idle). Every read and write takes a deadline
// (ARCHITECTURE.md principle 5).
//
// Thread-safety: a connection belongs to one session coroutine running on the connection's
// strand (executor()); call its members only from there. close() may also be posted to the
// strand by the server during shutdown.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/net/tls_io.hpp"
#include "core/tls/context_set.hpp"

namespace hearth::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using duration = std::chrono::steady_clock::duration;

enum class read_status {
  ok,
  too_long,  // the line exceeded max_len; the rest of it was read and discarded
  timeout,   // nothing complete arrived before the deadline
  closed,    // EOF, reset, TLS failure or close(): the session should end
};

struct read_result {
  read_status status = read_status::closed;
  std::string data;   // the line without its terminator, or the bytes of read_exact()
  bool crlf = false;  // read_line: the line ended with CRLF (false: a bare LF)
  explicit operator bool() const { return status == read_status::ok; }
};

const char* status_name(read_status s);  // "ok", "too_long", "timeout", "closed"

class connection {
 public:
  // The socket's executor: the server accepts onto a fresh strand per connection.
  using executor_type = asio::any_io_executor;

  // `tls` may be null: start_tls() then fails (a plain-only connection, for tests).
  connection(tcp::socket socket, std::shared_ptr<tls::generation> tls);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  // Reads one line. A line ends at LF; a preceding CR is removed and recorded in `crlf`
  // (SMTP must reject bare LF, RFC 5321 §2.3.8). A line longer than max_len bytes (without
  // its terminator) is consumed up to its end and reported as too_long, so the session can
  // answer and read the next command. `timeout` bounds the whole line.
  asio::awaitable<read_result> read_line(std::size_t max_len, duration timeout);
  // Reads exactly n bytes (IMAP literals, BDAT chunks). Callers bound n themselves.
  asio::awaitable<read_result> read_exact(std::size_t n, duration timeout);
  // Returns the bytes already buffered, or waits for the next ones; at most max_len bytes
  // (for stream protocols such as XMPP, whose parser takes chunks rather than lines).
  asio::awaitable<read_result> read_some(std::size_t max_len, duration timeout);
  // Writes all of data. Returns false on error or timeout (the connection is then closed).
  asio::awaitable<bool> write(std::string_view data);
  void set_write_timeout(duration d) { write_timeout_ = d; }

  // Bytes already received but not yet consumed. After a STARTTLS command this must be empty:
  // anything else was sent in plaintext before the handshake and would be injected into the
  // TLS session (CVE-2011-0411). The session decides whether to reject or drop them.
  bool has_buffered_input() const { return rpos_ < rbuf_.size(); }
  // Whether a read would return at once: bytes buffered here, waiting in the socket, or
  // decrypted in OpenSSL. False means the next read waits for the peer.
  bool input_available() { return has_buffered_input() || input_ready(); }

  // Server-side TLS handshake. Discards any buffered plaintext first (see above).
  // Returns false on failure or timeout; the connection should then be closed.
  asio::awaitable<bool> start_tls(duration timeout);
  // Client-side handshake for an outgoing connection (the socket given to the constructor is
  // connected): SNI `host`, the context's trust store. A certificate that fails verification
  // does not stop the handshake: peer_verified() tells. False on failure or timeout (closed).
  asio::awaitable<bool> start_tls_client(asio::ssl::context& ctx, const std::string& host, duration timeout);
  bool peer_verified(const std::string& host) { return tls_active_ && tls_io::peer_verified(ssl_.get(), host); }
  bool is_tls() const { return tls_active_; }
  // The TLS stream as an Asio stream, for code that drives it on its own (Beast, in core/http).
  // Use it only once is_tls(). Reads through it bypass this class's buffer and timeouts: first
  // take any has_buffered_input() bytes with read_some(), and bound every operation with a timer.
  tls_io::tls_stream tls_stream() { return {socket_, ssl_.get()}; }
  SSL* native_ssl() { return ssl_.get(); }  // null until start_tls() succeeded
  // Ask the client for a certificate in the coming handshake, accepting any (the session
  // checks it afterwards: XMPP s2s SASL EXTERNAL). Call before start_tls().
  void request_client_certificate() { want_client_cert_ = true; }
  std::string sni() const;                            // "" if plain or no SNI
  std::optional<std::string> channel_binding() const;  // RFC 9266 tls-exporter, TLS 1.3 only
  std::optional<std::string> channel_binding_end_point() const;  // RFC 5929 tls-server-end-point
  std::string tls_version() const;                     // "TLSv1.3", "" if plain
  std::string certificate_subject() const;             // the certificate presented, "" if plain

  const std::string& remote_ip() const { return remote_ip_; }
  std::uint16_t local_port() const { return local_port_; }
  // The address the client connected to ("" if the socket has none); asked of the socket, not
  // kept: few sessions need it and every idle connection would pay for the string.
  std::string local_ip() const;
  const std::string& id() const { return id_; }  // short id for log lines
  executor_type get_executor() { return socket_.get_executor(); }

  // Sends TLS close_notify (without waiting for the peer's, RFC 8446 §6.1 allows it) and
  // closes the socket. Bounded by a short timeout.
  asio::awaitable<void> shutdown();
  // Closes the socket at once; pending reads and writes complete with `closed`.
  void close();
  bool is_open() const { return socket_.is_open(); }

 private:
  asio::awaitable<read_status> fill(std::chrono::steady_clock::time_point deadline);
  // Waits until the socket is ready for `w` or the deadline passes (timer: read or write).
  asio::awaitable<read_status> wait(tls_io::want w, asio::steady_timer& timer,
                                    std::chrono::steady_clock::time_point deadline);
  bool input_ready();
  // Both sides: the SSL object on the socket, then the handshake.
  asio::awaitable<bool> begin_tls(void* ssl_ctx, tls_io::role r, std::string host, duration timeout);
  asio::awaitable<bool> handshake(std::chrono::steady_clock::time_point deadline);
  void compact();

  struct ssl_free {
    void operator()(SSL* s) const;
  };

  std::shared_ptr<tls::generation> tls_;
  tcp::socket socket_;
  std::unique_ptr<SSL, ssl_free> ssl_;  // created by start_tls()
  bool want_client_cert_ = false;  // ask for (server) or verify (client) the peer's certificate
  asio::steady_timer read_timer_;   // reads and the handshake
  asio::steady_timer write_timer_;  // separate: a session may write while a read is pending
  bool tls_active_ = false;
  duration write_timeout_ = std::chrono::seconds(60);
  std::string rbuf_;
  std::size_t rpos_ = 0;
  bool last_fill_full_ = false;  // the last read filled its buffer: more is likely waiting
  std::string remote_ip_;
  std::uint16_t local_port_ = 0;
  std::string id_;
};

// An outgoing TCP connection to `ep` from `source` (unspecified: the system chooses) within
// `timeout`, ready for start_tls_client(). Null on failure, with the reason in `error`.
asio::awaitable<std::unique_ptr<connection>> dial(asio::any_io_executor executor, tcp::endpoint ep,
                                                  asio::ip::address source, duration timeout,
                                                  std::string& error);

}  // namespace hearth::net
