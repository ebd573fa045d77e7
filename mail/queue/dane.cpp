#include "mail/queue/dane.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace hearth::mail::queue {

namespace {

struct x509_free {
  void operator()(X509* x) const { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_free>;

x509_ptr parse(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return x509_ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

std::string hex(const unsigned char* d, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[d[i] >> 4];
    out += digits[d[i] & 15];
  }
  return out;
}

// RFC 6698 §2.1.3: the selected content (whole certificate, or its SubjectPublicKeyInfo).
std::string selected(X509* x, int selector) {
  unsigned char* buf = nullptr;
  int n = -1;
  if (selector == 0) n = i2d_X509(x, &buf);
  else if (selector == 1) n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &buf);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
  OPENSSL_free(buf);
  return out;
}

std::string matched_data(const std::string& content, int matching) {
  if (content.empty()) return {};
  if (matching == 0) return hex(reinterpret_cast<const unsigned char*>(content.data()), content.size());
  const EVP_MD* md = matching == 1 ? EVP_sha256() : matching == 2 ? EVP_sha512() : nullptr;
  if (!md) return {};
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(content.data(), content.size(), out, &n, md, nullptr) != 1) return {};
  return hex(out, n);
}

}  // namespace

std::string tlsa_data(const std::string& cert_der, int selector, int matching) {
  auto x = parse(cert_der);
  if (!x) return {};
  return matched_data(selected(x.get(), selector), matching);
}

std::string tlsa_spki_sha256_pem(const std::string& pem) {
  auto spki_of = [](EVP_PKEY* k) {
    unsigned char* buf = nullptr;
    const int n = k ? i2d_PUBKEY(k, &buf) : -1;
    std::string out;
    if (n > 0) out.assign(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
    OPENSSL_free(buf);
    EVP_PKEY_free(k);
    return out;
  };
  auto with_bio = [&](auto read) -> std::string {
    BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (!b) return {};
    std::string spki = read(b);
    BIO_free(b);
    return spki;
  };
  std::string spki = with_bio([](BIO* b) {
    X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
    std::string s = x ? selected(x, 1) : std::string();
    X509_free(x);
    return s;
  });
  if (spki.empty()) spki = with_bio([&](BIO* b) { return spki_of(PEM_read_bio_PUBKEY(b, nullptr, nullptr, nullptr)); });
  // An encrypted key is not asked a password for (OpenSSL's default would prompt on the tty).
  pem_password_cb* no_password = [](char*, int, int, void*) { return 0; };
  if (spki.empty())
    spki = with_bio([&](BIO* b) { return spki_of(PEM_read_bio_PrivateKey(b, nullptr, no_password, nullptr)); });
  return matched_data(spki, 1);
}

dane_verdict dane_check(const std::vector<dns::tlsa_record>& tlsa, const std::vector<std::string>& chain_der,
                        const std::string& host) {
  dane_verdict v;
  std::vector<x509_ptr> chain;
  for (const auto& d : chain_der) {
    if (auto x = parse(d)) chain.push_back(std::move(x));
    else break;  // a broken chain stops there
  }
  for (const auto& r : tlsa) {
    if ((r.usage != 2 && r.usage != 3) || r.selector > 1 || r.matching > 2) continue;
    v.usable = true;
    if (chain.empty()) continue;
    if (r.usage == 3) {
      if (matched_data(selected(chain.front().get(), r.selector), r.matching) == r.data) {
        v.matched = true;
        return v;
      }
      continue;
    }
    for (std::size_t i = 1; i < chain.size(); ++i) {
      if (matched_data(selected(chain[i].get(), r.selector), r.matching) != r.data) continue;
      // The trust anchor is in the chain; the leaf must be issued by the chain up to it and
      // carry the host name. Issued means signed too: X509_check_issued compares names and
      // key identifiers only, which anyone can copy into a forged certificate.
      bool issued = true;
      for (std::size_t j = 0; j < i && issued; ++j)
        issued = X509_check_issued(chain[j + 1].get(), chain[j].get()) == X509_V_OK &&
                 X509_verify(chain[j].get(), X509_get0_pubkey(chain[j + 1].get())) == 1;
      if (issued && X509_check_host(chain.front().get(), host.data(), host.size(), 0, nullptr) == 1) {
        v.matched = true;
        return v;
      }
    }
  }
  if (!v.usable) v.why = "no usable TLSA record (only DANE-TA and DANE-EE count for SMTP)";
  else if (chain.empty()) v.why = "no certificate presented";
  else v.why = "the certificate matches none of the TLSA records";
  return v;
}

}  // namespace hearth::mail::queue
