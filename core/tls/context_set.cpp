#include "core/tls/context_set.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/util/strings.hpp"

namespace hearth::tls {
namespace {

namespace ssl = boost::asio::ssl;

// The first queued OpenSSL error as text, and clear the queue so a later error is not
// reported with a stale reason.
std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  std::string out;
  if (code != 0) {
    const char* reason = ERR_reason_error_string(code);
    out = reason ? reason : "unknown OpenSSL error";
  } else {
    out = "unknown OpenSSL error";
  }
  ERR_clear_error();
  return out;
}

// Reading the file ourselves first gives "No such file or directory" / "Permission denied"
// instead of OpenSSL's vaguer "system lib".
result<void> check_readable(const std::filesystem::path& p, const char* code) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return fail(code, "cannot read " + p.string() + ": " + std::strerror(errno));
  return {};
}

result<std::unique_ptr<ssl::context>> make_context(const config::certificate& c) {
  if (auto r = check_readable(c.cert_file, "tls.cert"); !r) return r.error();
  if (auto r = check_readable(c.key_file, "tls.key"); !r) return r.error();

  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  // TLS 1.2 minimum (RFC 8996 deprecates 1.0/1.1; RFC 8314 §4.1 for mail).
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  // No compression (CRIME), no renegotiation (a DoS lever and a source of bugs),
  // server cipher preference so our ordering of AEAD suites wins.
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_SSLv3 |
                                  SSL_OP_NO_SSLv2);
  // Session tickets stay on (OpenSSL's default): cheap resumption for mobile clients.
  static const unsigned char sid_ctx[] = "hearth";
  SSL_CTX_set_session_id_context(native, sid_ctx, sizeof sid_ctx - 1);
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  ERR_clear_error();

  if (SSL_CTX_use_certificate_chain_file(native, c.cert_file.c_str()) != 1)
    return fail("tls.cert", "cannot load certificate " + c.cert_file.string() + ": " + openssl_reason());
  if (SSL_CTX_use_PrivateKey_file(native, c.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL checks the key against the certificate already here.
    bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
    if (mismatch)
      return fail("tls.mismatch", "private key " + c.key_file.string() + " does not match certificate " +
                                      c.cert_file.string() + ": " + openssl_reason());
    return fail("tls.key", "cannot load private key " + c.key_file.string() + ": " + openssl_reason());
  }
  if (SSL_CTX_check_private_key(native) != 1)
    return fail("tls.mismatch", "private key " + c.key_file.string() + " does not match certificate " +
                                    c.cert_file.string() + ": " + openssl_reason());
  return ctx;
}

bool wildcard_covers(std::string_view pattern, std::string_view name) {
  // "*.example.test" covers "a.example.test" but neither "example.test" nor "a.b.example.test"
  // (RFC 6125 §6.4.3: the wildcard stands for one whole left-most label).
  if (pattern.size() < 3 || pattern.substr(0, 2) != "*.") return false;
  std::string_view suffix = pattern.substr(1);  // ".example.test"
  if (name.size() <= suffix.size()) return false;
  if (name.substr(name.size() - suffix.size()) != suffix) return false;
  std::string_view label = name.substr(0, name.size() - suffix.size());
  return !label.empty() && label.find('.') == std::string_view::npos;
}

}  // namespace

generation::~generation() = default;

result<std::shared_ptr<generation>> generation::build(const std::vector<config::certificate>& certs) {
  if (certs.empty()) return fail("tls.none", "no [[tls.certificate]] configured");
  std::shared_ptr<generation> g(new generation());
  for (const auto& c : certs) {
    auto ctx = make_context(c);
    if (!ctx) return ctx.error();
    entry e;
    for (const auto& h : c.hosts) {
      std::string_view t = util::trim(h);
      while (!t.empty() && t.back() == '.') t.remove_suffix(1);
      e.hosts.push_back(util::to_lower(t));
    }
    e.ctx = std::move(*ctx);
    g->entries_.push_back(std::move(e));
  }
  // The callback argument is the generation itself: every connection made from front()
  // holds the generation, so the pointer outlives every handshake that can call back.
  SSL_CTX* front = g->entries_.front().ctx->native_handle();
  SSL_CTX_set_tlsext_servername_callback(front, &generation::on_servername);
  SSL_CTX_set_tlsext_servername_arg(front, g.get());
  return g;
}

std::size_t generation::pick(std::string_view name) const {
  std::string n = util::to_lower(name);
  while (!n.empty() && n.back() == '.') n.pop_back();
  if (n.empty()) return 0;
  for (std::size_t i = 0; i < entries_.size(); ++i)
    for (const auto& h : entries_[i].hosts)
      if (h == n) return i;
  for (std::size_t i = 0; i < entries_.size(); ++i)
    for (const auto& h : entries_[i].hosts)
      if (wildcard_covers(h, n)) return i;
  return 0;
}

std::string generation::subject(std::size_t index) const {
  if (index >= entries_.size()) return {};
  X509* cert = SSL_CTX_get0_certificate(entries_[index].ctx->native_handle());
  if (!cert) return {};
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

int generation::on_servername(SSL* ssl, int* /*alert*/, void* arg) {
  auto* g = static_cast<generation*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!name || !g) return SSL_TLSEXT_ERR_NOACK;
  std::size_t i = g->pick(name);
  // An unknown name gets the default certificate rather than a failed handshake: clients
  // that connect by IP or by an alias still reach the server, and then verify as they wish.
  if (i != 0) SSL_set_SSL_CTX(ssl, g->entries_[i].ctx->native_handle());
  return SSL_TLSEXT_ERR_OK;
}

result<std::shared_ptr<context_set>> context_set::create(const std::vector<config::certificate>& certs) {
  auto g = generation::build(certs);
  if (!g) return g.error();
  return std::shared_ptr<context_set>(new context_set(std::move(*g)));
}

std::shared_ptr<generation> context_set::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

result<std::size_t> context_set::reload(const std::vector<config::certificate>& certs) {
  auto g = generation::build(certs);
  if (!g) return g.error();
  std::size_t n = (*g)->size();
  std::lock_guard lock(mutex_);
  current_ = std::move(*g);
  return n;
}

std::optional<std::string> channel_binding_tls_exporter(SSL* ssl) {
  if (!ssl || !SSL_is_init_finished(ssl) || SSL_version(ssl) != TLS1_3_VERSION) return std::nullopt;
  static constexpr char label[] = "EXPORTER-Channel-Binding";
  std::string out(32, '\0');
  // RFC 9266 §2: empty context, 32 bytes. use_context=0 and an empty context are the same
  // for TLS 1.3 (RFC 8446 §7.5), so either choice interoperates.
  if (SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(out.data()), out.size(), label,
                                 sizeof label - 1, nullptr, 0, 0) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> channel_binding_tls_server_end_point(SSL* ssl) {
  if (!ssl || !SSL_is_init_finished(ssl)) return std::nullopt;
  X509* cert = SSL_get_certificate(ssl);
  if (!cert) return std::nullopt;
  int md_nid = NID_undef;
  if (X509_get_signature_info(cert, &md_nid, nullptr, nullptr, nullptr) != 1) md_nid = NID_undef;
  const EVP_MD* md = nullptr;
  if (md_nid != NID_undef && md_nid != NID_md5 && md_nid != NID_sha1) md = EVP_get_digestbynid(md_nid);
  if (!md) md = EVP_sha256();
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (X509_digest(cert, md, buf, &len) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(buf), len);
}

std::string sni_name(SSL* ssl) {
  if (!ssl) return {};
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  return name ? std::string(name) : std::string();
}

std::string local_certificate_subject(SSL* ssl) {
  if (!ssl) return {};
  X509* cert = SSL_get_certificate(ssl);
  if (!cert) return {};
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

}  // namespace hearth::tls
