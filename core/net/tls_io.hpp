// Server-side TLS straight on a non-blocking socket, without Asio's ssl::stream.
//
// OpenSSL reads and writes the socket's file descriptor itself (a socket BIO), and the caller
// waits for readiness with socket.async_wait() when OpenSSL says it wants to read or write.
// asio::ssl::stream keeps two 17 KB BIO-pair buffers and two 17 KB staging buffers for the
// life of every stream; here an idle connection holds only the SSL object, whose record
// buffers OpenSSL frees between records (SSL_MODE_RELEASE_BUFFERS). The XMPP benchmark: that
// was most of the memory of an idle chat connection.
//
// step functions: one non-blocking OpenSSL call each, telling what to wait for next.
// tls_stream: an Asio AsyncReadStream/AsyncWriteStream over the same SSL object, for code that
// drives the stream with Asio or Beast algorithms (core/http).
//
// Thread-safety: like the connection that owns the SSL object: one strand at a time.
#pragma once
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <string>

typedef struct ssl_st SSL;

namespace hearth::net::tls_io {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

enum class want {
  done,   // the call finished: n bytes moved (handshake/shutdown: complete)
  read,   // wait until the socket is readable, then call again with the same arguments
  write,  // wait until the socket is writable, then call again with the same arguments
  fail,   // the TLS session is over: ec says why (asio::error::eof for close_notify)
};

struct step {
  want w = want::fail;
  std::size_t n = 0;
  boost::system::error_code ec;
};

step read(SSL* ssl, void* data, std::size_t size);
step write(SSL* ssl, const void* data, std::size_t size);
step handshake(SSL* ssl);
step shutdown(SSL* ssl);  // sends close_notify; done once it is written

enum class role { server, client };

// Makes the SSL object for a connected, non-blocking socket descriptor: partial writes, moving
// write buffers, record buffers released while idle. A client sends SNI `host`. With
// `ask_peer_cert` the peer's certificate is requested (a server) or verified against the
// context's trust store (a client), but a failure does not stop the handshake: the caller
// decides (XMPP dialback, SASL EXTERNAL), see peer_verified(). Null on failure.
SSL* make_session(void* ssl_ctx, int fd, role r, const std::string& host, bool ask_peer_cert);
// After the handshake: the peer's certificate chains to a trusted CA and names `host`
// (RFC 6125 DNS-ID, X509_check_host).
bool peer_verified(SSL* ssl, const std::string& host);

// Ignores SIGPIPE for the process, once: OpenSSL writes to the descriptor with write(2), which
// raises SIGPIPE when the peer has reset the connection.
void ignore_sigpipe();

inline tcp::socket::wait_type wait_for(want w) {
  return w == want::write ? tcp::socket::wait_write : tcp::socket::wait_read;
}

// One read_some/write_some as a composed operation: try, wait for readiness, try again.
// A result ready at the first try is posted, never delivered inside the initiating call.
struct io_op {
  SSL* ssl;
  tcp::socket* sock;
  void* data;
  std::size_t size;
  bool writing;
  int state = 0;  // 0 first try, 1 after a wait, 2 delivering a posted result
  step result{};

  template <class Self>
  void operator()(Self& self, boost::system::error_code ec = {}) {
    if (state == 2) return self.complete(result.ec, result.n);
    if (ec) return self.complete(ec, 0);
    step s;
    if (size == 0) s.w = want::done;
    else s = writing ? write(ssl, data, size) : read(ssl, data, size);
    if (s.w == want::read || s.w == want::write) {
      state = 1;
      sock->async_wait(wait_for(s.w), std::move(self));
      return;
    }
    if (state == 0) {
      state = 2;
      result = s;
      auto ex = sock->get_executor();
      asio::post(ex, std::move(self));
      return;
    }
    self.complete(s.ec, s.n);
  }
};

class tls_stream {
 public:
  using executor_type = asio::any_io_executor;

  tls_stream(tcp::socket& sock, SSL* ssl) : sock_(&sock), ssl_(ssl) {}

  executor_type get_executor() { return sock_->get_executor(); }
  SSL* native_handle() const { return ssl_; }
  tcp::socket& next_layer() { return *sock_; }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    asio::mutable_buffer b = first(buffers);
    return asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        io_op{ssl_, sock_, b.data(), b.size(), false}, token, *sock_);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    asio::const_buffer b = first(buffers);
    return asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        io_op{ssl_, sock_, const_cast<void*>(b.data()), b.size(), true}, token, *sock_);
  }

 private:
  // The first non-empty buffer of a sequence (read_some/write_some may move fewer bytes).
  template <class Buffers>
  static auto first(const Buffers& buffers) {
    auto it = asio::buffer_sequence_begin(buffers);
    auto end = asio::buffer_sequence_end(buffers);
    using buffer_type = std::decay_t<decltype(*it)>;
    for (; it != end; ++it)
      if (buffer_type(*it).size() > 0) return buffer_type(*it);
    return buffer_type();
  }

  tcp::socket* sock_;
  SSL* ssl_;
};

}  // namespace hearth::net::tls_io
