#include "core/crypto/keys.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <memory>

namespace hearth::crypto {
namespace {

template <class T, void (*F)(T*)>
struct deleter {
  void operator()(T* p) const { F(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO, BIO_free_all>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;

std::string openssl_error(const char* what) {
  std::string msg = what;
  unsigned long e = ERR_get_error();
  if (e) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    msg += ": ";
    msg += buf;
  }
  ERR_clear_error();
  return msg;
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, n > 0 ? static_cast<size_t>(n) : 0);
}

std::string b64(const unsigned char* data, size_t len) {
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

result<std::string> private_pem(EVP_PKEY* key) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr))
    return fail("crypto.pem", openssl_error("cannot write private key"));
  return bio_string(bio.get());
}

result<std::string> dkim_public(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
    unsigned char raw[32];
    size_t len = sizeof raw;
    if (!EVP_PKEY_get_raw_public_key(key, raw, &len) || len != 32)
      return fail("crypto.key", openssl_error("cannot read Ed25519 public key"));
    return b64(raw, len);
  }
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return fail("crypto.key", openssl_error("cannot encode public key"));
  std::string out = b64(der, static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

result<key_pair> pair_of(EVP_PKEY* key) {
  auto priv = private_pem(key);
  if (!priv) return priv.error();
  auto pub = dkim_public(key);
  if (!pub) return pub.error();
  return key_pair{std::move(*priv), std::move(*pub)};
}

result<pkey_ptr> read_private(const std::string& pem) {
  bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  pkey_ptr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return fail("crypto.pem", openssl_error("cannot read private key"));
  return key;
}

result<x509_ptr> read_cert(const std::string& pem) {
  bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  x509_ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return fail("crypto.pem", openssl_error("cannot read certificate"));
  return cert;
}

bool add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// A fresh certificate skeleton: random 128-bit serial (CA/B Forum asks for >= 64 bits of
// entropy), validity from one hour ago (clock skew) for `days`.
result<x509_ptr> new_cert(const std::string& cn, EVP_PKEY* key, int days) {
  x509_ptr cert(X509_new());
  if (!cert) return fail("crypto.x509", openssl_error("X509_new"));
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400L);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

result<std::string> cert_pem(X509* cert) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_X509(bio.get(), cert)) return fail("crypto.pem", openssl_error("cannot write certificate"));
  return bio_string(bio.get());
}

pkey_ptr new_ec_key() { return pkey_ptr(EVP_EC_gen("P-256")); }

}  // namespace

result<key_pair> generate_rsa(unsigned bits) {
  pkey_ptr key(EVP_RSA_gen(bits));
  if (!key) return fail("crypto.keygen", openssl_error("RSA key generation failed"));
  return pair_of(key.get());
}

result<key_pair> generate_ed25519() {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<EVP_PKEY_CTX, deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 || EVP_PKEY_keygen(ctx.get(), &raw) <= 0)
    return fail("crypto.keygen", openssl_error("Ed25519 key generation failed"));
  pkey_ptr key(raw);
  return pair_of(key.get());
}

result<std::string> dkim_public_from_private(const std::string& pem) {
  auto key = read_private(pem);
  if (!key) return key.error();
  return dkim_public(key->get());
}

result<certificate_pem> make_dev_ca(const std::string& common_name, int days) {
  pkey_ptr key = new_ec_key();
  if (!key) return fail("crypto.keygen", openssl_error("EC key generation failed"));
  auto cert = new_cert(common_name, key.get(), days);
  if (!cert) return cert.error();
  X509* c = cert->get();
  X509_set_issuer_name(c, X509_get_subject_name(c));
  if (!add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_ext(c, c, NID_subject_key_identifier, "hash"))
    return fail("crypto.x509", openssl_error("cannot add CA extensions"));
  if (!X509_sign(c, key.get(), EVP_sha256())) return fail("crypto.x509", openssl_error("cannot sign CA"));
  auto pem = cert_pem(c);
  if (!pem) return pem.error();
  auto kp = private_pem(key.get());
  if (!kp) return kp.error();
  return certificate_pem{std::move(*pem), std::move(*kp)};
}

result<certificate_pem> make_server_certificate(const certificate_pem& ca, const std::vector<std::string>& hosts,
                                                int days) {
  if (hosts.empty()) return fail("crypto.x509", "a certificate needs at least one host name");
  auto ca_cert = read_cert(ca.cert_pem);
  if (!ca_cert) return ca_cert.error();
  auto ca_key = read_private(ca.key_pem);
  if (!ca_key) return ca_key.error();
  pkey_ptr key = new_ec_key();
  if (!key) return fail("crypto.keygen", openssl_error("EC key generation failed"));
  auto cert = new_cert(hosts.front(), key.get(), days);
  if (!cert) return cert.error();
  X509* c = cert->get();
  X509_set_issuer_name(c, X509_get_subject_name(ca_cert->get()));
  std::string san;
  for (const auto& h : hosts) {
    if (!san.empty()) san += ',';
    san += (is_ip_literal(h) ? "IP:" : "DNS:") + h;
  }
  if (!add_ext(c, ca_cert->get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(c, ca_cert->get(), NID_key_usage, "critical,digitalSignature") ||
      !add_ext(c, ca_cert->get(), NID_ext_key_usage, "serverAuth") ||
      !add_ext(c, ca_cert->get(), NID_subject_alt_name, san) ||
      !add_ext(c, ca_cert->get(), NID_authority_key_identifier, "keyid:always"))
    return fail("crypto.x509", openssl_error("cannot add server certificate extensions"));
  if (!X509_sign(c, ca_key->get(), EVP_sha256())) return fail("crypto.x509", openssl_error("cannot sign certificate"));
  auto pem = cert_pem(c);
  if (!pem) return pem.error();
  auto kp = private_pem(key.get());
  if (!kp) return kp.error();
  return certificate_pem{std::move(*pem), std::move(*kp)};
}

}  // namespace hearth::crypto
