// DANE for SMTP (RFC 7672) as a sender checks it: whether the certificate chain an MX host
// presented matches one of its TLSA records. Pure (OpenSSL parses and hashes, no I/O);
// unit-tested in dane_test.cpp.
#pragma once
#include <string>
#include <vector>

#include "core/dns/rdata.hpp"

namespace hearth::mail::queue {

struct dane_verdict {
  bool usable = false;   // at least one record is usable for SMTP (RFC 7672 §3.1.3)
  bool matched = false;  // the chain matches a usable record
  std::string why;       // for logs and DSNs when not matched
};

// `chain_der`: the peer's certificates in DER, leaf first; `host`: the MX host name.
// RFC 7672 §3.1.3: only DANE-TA(2) and DANE-EE(3) are usable; selectors Cert(0) and SPKI(1);
// matching Full(0), SHA2-256(1) and SHA2-512(2). DANE-EE matches the leaf alone, with no name
// or expiry check (§3.2.1); DANE-TA matches an issuer the peer sent, and then the leaf must
// name the host (§3.2.2: the TLSA base domain is the MX host name here).
dane_verdict dane_check(const std::vector<dns::tlsa_record>& tlsa, const std::vector<std::string>& chain_der,
                        const std::string& host);

// The TLSA data for a certificate (DER) with the given selector and matching type, lowercase
// hex; "" for a certificate that does not parse or an unknown selector/matching type. Also
// what `hearth dns zone` publishes for our own key (3 1 1).
std::string tlsa_data(const std::string& cert_der, int selector, int matching);

// The 3 1 1 data (SHA-256 of the SubjectPublicKeyInfo, lowercase hex) of the first PEM block
// of `pem` that is a certificate, a public key or a private key; "" when none is. For the
// next key of a rotation, which may exist only as a key file yet.
std::string tlsa_spki_sha256_pem(const std::string& pem);

}  // namespace hearth::mail::queue
