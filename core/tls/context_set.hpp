// Server TLS contexts: one OpenSSL SSL_CTX per configured certificate, chosen by SNI,
// reloadable on SIGHUP (ARCHITECTURE.md "Certificates").
//
// Usage: build one context_set at start; for every new connection take current() and create
// the ssl::stream from generation::front(). The front context's SNI callback switches the
// connection to the certificate whose hosts match the requested name. A connection keeps its
// generation alive (shared_ptr), so reload() never pulls certificates from under a live
// handshake: new connections get the new set, live ones keep theirs.
#pragma once
#include <boost/asio/ssl/context.hpp>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"
#include "core/util/result.hpp"

typedef struct ssl_st SSL;

namespace hearth::tls {

// One immutable set of contexts. Thread-safe (read-only after build()).
class generation {
 public:
  // Loads every certificate (PEM chain + PEM key). Errors ("tls.cert", "tls.key",
  // "tls.mismatch", "tls.none") name the file and carry OpenSSL's reason.
  static result<std::shared_ptr<generation>> build(const std::vector<config::certificate>& certs);

  generation(const generation&) = delete;
  generation& operator=(const generation&) = delete;
  ~generation();

  // The context new server streams are created from (certificate 0 plus the SNI callback).
  boost::asio::ssl::context& front() { return *entries_.front().ctx; }
  std::size_t size() const { return entries_.size(); }
  // Index of the certificate serving `name`: exact host match first, then a "*.domain"
  // wildcard covering exactly one label, else 0 (the default). Case-insensitive.
  std::size_t pick(std::string_view name) const;
  // The certificate's subject, "CN=mail.example.test" style (for logs and tests).
  std::string subject(std::size_t index) const;

 private:
  struct entry {
    std::vector<std::string> hosts;  // lower-cased
    std::unique_ptr<boost::asio::ssl::context> ctx;
  };
  generation() = default;
  static int on_servername(SSL* ssl, int* alert, void* arg);
  std::vector<entry> entries_;
};

// The reloadable holder. All members are thread-safe.
class context_set {
 public:
  static result<std::shared_ptr<context_set>> create(const std::vector<config::certificate>& certs);

  // The generation to use for a new connection.
  std::shared_ptr<generation> current() const;
  // Rebuilds from the files and swaps atomically. On error the old set stays in use and the
  // error is returned. Returns the number of certificates loaded.
  result<std::size_t> reload(const std::vector<config::certificate>& certs);
  std::size_t size() const { return current()->size(); }

 private:
  explicit context_set(std::shared_ptr<generation> g) : current_(std::move(g)) {}
  mutable std::mutex mutex_;
  std::shared_ptr<generation> current_;
};

// RFC 9266 tls-exporter channel binding: 32 bytes exported with the label
// "EXPORTER-Channel-Binding" and an empty context. Only defined for TLS 1.3 (RFC 9266 §2:
// with TLS 1.2 the exporter is unsafe without extended master secret), so nullopt otherwise
// or if the handshake is not complete.
std::optional<std::string> channel_binding_tls_exporter(SSL* ssl);

// RFC 5929 §4.1 tls-server-end-point channel binding: the hash of this side's certificate
// with the hash function of its signature, SHA-256 where that is MD5 or SHA-1 or has none
// (Ed25519). Defined for every TLS version; nullopt before the handshake completes.
std::optional<std::string> channel_binding_tls_server_end_point(SSL* ssl);

// The SNI host name the client asked for, or "" if none.
std::string sni_name(SSL* ssl);

// The subject of the certificate a connection presents (server side), or "".
std::string local_certificate_subject(SSL* ssl);

}  // namespace hearth::tls
