// DANE as a sender checks it (mail/queue/dane.hpp): the certificate chain comes from the
// remote server, the TLSA records from its zone, both untrusted. The input is split at the
// first 0xff byte: TLSA records before (4-byte usage/selector/matching/length heads, then
// that many data bytes written as hex), DER certificates after (2-byte big-endian lengths).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/queue/dane.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hearth::mail::queue;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto cut = in.find('\xff');
  std::string_view recs = in.substr(0, cut), certs = cut == std::string_view::npos ? std::string_view() : in.substr(cut + 1);
  static const char* hex = "0123456789abcdef";
  std::vector<hearth::dns::tlsa_record> tlsa;
  while (recs.size() >= 4 && tlsa.size() < 8) {
    hearth::dns::tlsa_record r;
    r.usage = static_cast<std::uint8_t>(recs[0]);
    r.selector = static_cast<std::uint8_t>(recs[1]);
    r.matching = static_cast<std::uint8_t>(recs[2]);
    std::size_t n = static_cast<std::uint8_t>(recs[3]);
    recs.remove_prefix(4);
    n = std::min(n, recs.size());
    for (std::size_t i = 0; i < n; ++i) {
      const auto b = static_cast<std::uint8_t>(recs[i]);
      r.data += hex[b >> 4];
      r.data += hex[b & 15];
    }
    recs.remove_prefix(n);
    tlsa.push_back(std::move(r));
  }
  std::vector<std::string> chain;
  while (certs.size() >= 2 && chain.size() < 4) {
    std::size_t n = (static_cast<std::uint8_t>(certs[0]) << 8) | static_cast<std::uint8_t>(certs[1]);
    certs.remove_prefix(2);
    n = std::min(n, certs.size());
    chain.emplace_back(certs.substr(0, n));
    certs.remove_prefix(n);
  }
  (void)dane_check(tlsa, chain, "mx.example.test");
  for (const auto& c : chain) (void)tlsa_data(c, 1, 1);
  (void)tlsa_spki_sha256_pem(std::string(in));
  return 0;
}
