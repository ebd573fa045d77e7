#include "core/crypto/keys.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

using namespace hearth;

namespace {

X509* load_cert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* c = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return c;
}

// Verifies `leaf` against `ca` with OpenSSL's own chain validation and host check.
int verify(const std::string& ca, const std::string& leaf, const std::string& host) {
  X509* ca_cert = load_cert(ca);
  X509* leaf_cert = load_cert(leaf);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca_cert);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf_cert, nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  int ok = X509_verify_cert(ctx);
  int err = ok == 1 ? 0 : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(ca_cert);
  X509_free(leaf_cert);
  return err;
}

}  // namespace

TEST_CASE("DKIM RSA key: PEM private, SPKI public") {
  auto kp = crypto::generate_rsa(2048);
  REQUIRE(kp);
  CHECK(kp->private_pem.find("BEGIN PRIVATE KEY") != std::string::npos);
  // SPKI DER of RSA-2048 is 294 bytes -> 392 base64 characters, starting with MIIBIjAN.
  CHECK(kp->dkim_public.size() == 392);
  CHECK(kp->dkim_public.rfind("MIIBIjAN", 0) == 0);
  auto again = crypto::dkim_public_from_private(kp->private_pem);
  REQUIRE(again);
  CHECK(*again == kp->dkim_public);
}

TEST_CASE("DKIM Ed25519 key: raw 32-byte public key (RFC 8463)") {
  auto kp = crypto::generate_ed25519();
  REQUIRE(kp);
  CHECK(kp->dkim_public.size() == 44);  // 32 bytes base64
  auto again = crypto::dkim_public_from_private(kp->private_pem);
  REQUIRE(again);
  CHECK(*again == kp->dkim_public);
  auto other = crypto::generate_ed25519();
  REQUIRE(other);
  CHECK(other->dkim_public != kp->dkim_public);
}

TEST_CASE("dev CA signs a server certificate that verifies for its names only") {
  auto ca = crypto::make_dev_ca("Hearth dev CA example.test", 30);
  REQUIRE(ca);
  auto leaf = crypto::make_server_certificate(*ca, {"mail.example.test", "example.test", "127.0.0.1"}, 30);
  REQUIRE(leaf);
  CHECK(verify(ca->cert_pem, leaf->cert_pem, "mail.example.test") == 0);
  CHECK(verify(ca->cert_pem, leaf->cert_pem, "example.test") == 0);
  CHECK(verify(ca->cert_pem, leaf->cert_pem, "other.example.test") == X509_V_ERR_HOSTNAME_MISMATCH);
  auto other_ca = crypto::make_dev_ca("another CA", 30);
  REQUIRE(other_ca);
  CHECK(verify(other_ca->cert_pem, leaf->cert_pem, "mail.example.test") != 0);
  CHECK_FALSE(crypto::make_server_certificate(*ca, {}, 30));
  CHECK_FALSE(crypto::make_dev_ca("x", 30) ->cert_pem.empty());
  crypto::certificate_pem broken{"not a pem", ca->key_pem};
  CHECK_FALSE(crypto::make_server_certificate(broken, {"a.test"}, 30));
}
