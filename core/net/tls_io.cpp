#include "core/net/tls_io.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <csignal>
#include <mutex>

namespace hearth::net::tls_io {
namespace {

// What a failed OpenSSL call means. Must run right after the call, on the same thread: it
// reads errno and the thread's OpenSSL error queue.
step classify(SSL* ssl, int rc) {
  const int saved_errno = errno;
  step s;
  switch (SSL_get_error(ssl, rc)) {
    case SSL_ERROR_WANT_READ: s.w = want::read; return s;
    case SSL_ERROR_WANT_WRITE: s.w = want::write; return s;
    case SSL_ERROR_ZERO_RETURN: s.ec = asio::error::eof; return s;
    case SSL_ERROR_SYSCALL:
      // No error queued and errno 0: the peer closed without close_notify.
      if (ERR_peek_error() == 0)
        s.ec = saved_errno ? boost::system::error_code(saved_errno, asio::error::get_system_category())
                           : boost::system::error_code(asio::ssl::error::stream_truncated);
      else
        s.ec = boost::system::error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category());
      return s;
    default: {
      const unsigned long e = ERR_get_error();
      if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        s.ec = asio::ssl::error::stream_truncated;
      else
        s.ec = boost::system::error_code(e ? static_cast<int>(e) : SSL_R_UNEXPECTED_MESSAGE,
                                         asio::error::get_ssl_category());
      return s;
    }
  }
}

step finish(SSL* ssl, int rc, std::size_t n) {
  if (rc == 1) return step{want::done, n, {}};
  step s = classify(ssl, rc);
  ERR_clear_error();  // nothing of this session's failure may leak into the next call here
  return s;
}

}  // namespace

step read(SSL* ssl, void* data, std::size_t size) {
  ERR_clear_error();
  errno = 0;
  std::size_t n = 0;
  int rc = SSL_read_ex(ssl, data, size, &n);
  return finish(ssl, rc, n);
}

step write(SSL* ssl, const void* data, std::size_t size) {
  ERR_clear_error();
  errno = 0;
  std::size_t n = 0;
  int rc = SSL_write_ex(ssl, data, size, &n);
  return finish(ssl, rc, n);
}

step handshake(SSL* ssl) {
  ERR_clear_error();
  errno = 0;
  return finish(ssl, SSL_do_handshake(ssl), 0);
}

step shutdown(SSL* ssl) {
  ERR_clear_error();
  errno = 0;
  int rc = SSL_shutdown(ssl);
  // 0: our close_notify is out and the peer's has not come; we do not wait for it.
  return finish(ssl, rc >= 0 ? 1 : rc, 0);
}

SSL* make_session(void* ssl_ctx, int fd, role r, const std::string& host, bool ask_peer_cert) {
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx));
  if (!ssl) return nullptr;
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  // The socket BIO does not own the descriptor (BIO_NOCLOSE): the Asio socket closes it.
  if (SSL_set_fd(ssl, fd) != 1 ||
      (r == role::client && !host.empty() && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1)) {
    SSL_free(ssl);
    return nullptr;
  }
  // Record the verification result instead of failing the handshake on it.
  if (ask_peer_cert) SSL_set_verify(ssl, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
  if (r == role::server) SSL_set_accept_state(ssl);
  else SSL_set_connect_state(ssl);
  return ssl;
}

bool peer_verified(SSL* ssl, const std::string& host) {
  if (!ssl || host.empty()) return false;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return false;
  return X509_check_host(cert, host.data(), host.size(), 0, nullptr) == 1;
}

void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

}  // namespace hearth::net::tls_io
