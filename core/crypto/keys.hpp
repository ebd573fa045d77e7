// Key and certificate generation for `hearth quickstart` and `hearth domain add`:
// DKIM keys (RSA, Ed25519) and a small private CA with a server certificate for --dev.
// All functions are thread-safe (OpenSSL 3 EVP) and return PEM text.
#pragma once
#include <string>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::crypto {

struct key_pair {
  std::string private_pem;  // PKCS#8 PEM
  std::string dkim_public;  // the DKIM p= value (RFC 6376 §3.6.1 / RFC 8463 §4)
};

// RSA key of `bits` (DKIM: 2048; RFC 8301 §3.2 requires at least 1024, recommends 2048).
// dkim_public is base64 of the SubjectPublicKeyInfo DER, which every verifier accepts.
result<key_pair> generate_rsa(unsigned bits);
// Ed25519 key; dkim_public is base64 of the raw 32-byte public key (RFC 8463 §4.2).
result<key_pair> generate_ed25519();
// The DKIM p= value of an existing private key (either kind).
result<std::string> dkim_public_from_private(const std::string& private_pem);

struct certificate_pem {
  std::string cert_pem;
  std::string key_pem;
};

// A certificate authority for a development instance (CA:TRUE, keyCertSign), EC P-256,
// valid `days`. Clients trust its certificate instead of each server certificate.
result<certificate_pem> make_dev_ca(const std::string& common_name, int days);
// A server certificate signed by `ca`: CA:FALSE, serverAuth, subjectAltName DNS (or IP, for
// IP literals) for each name in `hosts`; hosts[0] is also the subject CN.
result<certificate_pem> make_server_certificate(const certificate_pem& ca,
                                                const std::vector<std::string>& hosts, int days);

}  // namespace hearth::crypto
