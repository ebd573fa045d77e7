#include "mail/queue/dane.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

using namespace hearth::mail::queue;
using hearth::dns::tlsa_record;

namespace {

// A certificate for `name` (a DNS SAN) signed by `issuer_key` (itself when null), DER.
struct made {
  EVP_PKEY* key = nullptr;
  std::string der;
};

made make_cert(const char* name, EVP_PKEY* issuer_key, const char* issuer_name, bool ca) {
  made m;
  m.key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), ca ? 1 : 2);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, m.key);
  X509_NAME* subj = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name), -1, -1, 0);
  X509_NAME* iss = X509_get_issuer_name(x);
  X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(issuer_name ? issuer_name : name), -1,
                             -1, 0);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  const std::string san = std::string("DNS:") + name;
  if (X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str())) {
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
  }
  if (X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE")) {
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
  }
  X509_sign(x, issuer_key ? issuer_key : m.key, EVP_sha256());
  unsigned char* buf = nullptr;
  int n = i2d_X509(x, &buf);
  m.der.assign(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
  OPENSSL_free(buf);
  X509_free(x);
  return m;
}

}  // namespace

TEST_CASE("DANE-EE and DANE-TA records against a presented chain", "[queue][dane]") {
  made ca = make_cert("Test CA", nullptr, nullptr, true);
  made leaf = make_cert("mx.example.test", ca.key, "Test CA", false);
  made other = make_cert("mx.example.test", nullptr, nullptr, false);
  const std::vector<std::string> chain{leaf.der, ca.der};

  const std::string ee = tlsa_data(leaf.der, 1, 1);
  CHECK(ee.size() == 64);
  CHECK(tlsa_data(leaf.der, 0, 2).size() == 128);
  CHECK(tlsa_data("not a certificate", 1, 1).empty());
  CHECK(tlsa_data(leaf.der, 2, 1).empty());

  // 3 1 1: the leaf's key.
  auto v = dane_check({{3, 1, 1, ee}}, chain, "mx.example.test");
  CHECK(v.usable);
  CHECK(v.matched);
  // DANE-EE ignores the name (RFC 7672 §3.2.1).
  CHECK(dane_check({{3, 1, 1, ee}}, chain, "other.example.test").matched);
  // 3 0 0: the whole certificate.
  CHECK(dane_check({{3, 0, 0, tlsa_data(leaf.der, 0, 0)}}, chain, "mx.example.test").matched);
  // Another key does not match.
  v = dane_check({{3, 1, 1, tlsa_data(other.der, 1, 1)}}, chain, "mx.example.test");
  CHECK(v.usable);
  CHECK_FALSE(v.matched);
  CHECK(v.why == "the certificate matches none of the TLSA records");

  // 2 1 1: the CA's key, sent by the peer; the leaf must name the host.
  const std::string ta = tlsa_data(ca.der, 1, 1);
  CHECK(dane_check({{2, 1, 1, ta}}, chain, "mx.example.test").matched);
  CHECK_FALSE(dane_check({{2, 1, 1, ta}}, chain, "wrong.example.test").matched);
  CHECK_FALSE(dane_check({{2, 1, 1, ta}}, {leaf.der}, "mx.example.test").matched);  // CA not sent
  CHECK_FALSE(dane_check({{2, 1, 1, ta}}, {other.der, ca.der}, "mx.example.test").matched);  // not issued by it
  // A leaf that names the CA as its issuer but was signed with another key.
  made forged = make_cert("mx.example.test", other.key, "Test CA", false);
  CHECK_FALSE(dane_check({{2, 1, 1, ta}}, {forged.der, ca.der}, "mx.example.test").matched);
  EVP_PKEY_free(forged.key);

  // PKIX usages (0, 1) are not usable for SMTP (RFC 7672 §3.1.3).
  v = dane_check({{1, 1, 1, ee}, {0, 1, 1, ta}}, chain, "mx.example.test");
  CHECK_FALSE(v.usable);
  CHECK_FALSE(v.matched);
  // One usable record among unusable ones is enough.
  CHECK(dane_check({{1, 1, 1, "00"}, {3, 1, 1, ee}}, chain, "mx.example.test").matched);
  CHECK_FALSE(dane_check({{3, 1, 1, ee}}, {}, "mx.example.test").matched);

  EVP_PKEY_free(ca.key);
  EVP_PKEY_free(leaf.key);
  EVP_PKEY_free(other.key);
}

TEST_CASE("3 1 1 data of a PEM certificate, public key or private key", "[queue][dane]") {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  made cert = make_cert("mx.example.test", key, "mx.example.test", false);
  auto pem_of = [](auto write) {
    BIO* b = BIO_new(BIO_s_mem());
    write(b);
    char* p = nullptr;
    long n = BIO_get_mem_data(b, &p);
    std::string s(p, static_cast<std::size_t>(n));
    BIO_free(b);
    return s;
  };
  const unsigned char* d = reinterpret_cast<const unsigned char*>(cert.der.data());
  X509* x = d2i_X509(nullptr, &d, static_cast<long>(cert.der.size()));
  const std::string cert_pem = pem_of([&](BIO* b) { PEM_write_bio_X509(b, x); });
  const std::string pub_pem = pem_of([&](BIO* b) { PEM_write_bio_PUBKEY(b, cert.key); });
  const std::string priv_pem = pem_of([&](BIO* b) { PEM_write_bio_PrivateKey(b, cert.key, nullptr, nullptr, 0, nullptr, nullptr); });
  const std::string other_pem = pem_of([&](BIO* b) { PEM_write_bio_PUBKEY(b, key); });
  X509_free(x);
  // The certificate holds cert.key (signed by another key): all three name the same key.
  const std::string want = tlsa_data(cert.der, 1, 1);
  CHECK(want.size() == 64);
  CHECK(tlsa_spki_sha256_pem(cert_pem) == want);
  CHECK(tlsa_spki_sha256_pem(pub_pem) == want);
  CHECK(tlsa_spki_sha256_pem(priv_pem) == want);
  CHECK(tlsa_spki_sha256_pem(priv_pem + cert_pem) == want);  // a key file with its certificate
  CHECK(tlsa_spki_sha256_pem(other_pem) != want);
  CHECK(tlsa_spki_sha256_pem("not PEM").empty());
  EVP_PKEY_free(key);
  EVP_PKEY_free(cert.key);
}
