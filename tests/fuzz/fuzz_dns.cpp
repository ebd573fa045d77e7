// libFuzzer target: the DNS RDATA parsers (core/dns/rdata.hpp) on arbitrary bytes. Answers
// come from the network; a malformed one must be refused (nullopt), never read out of bounds.
// Byte 0 picks the record type; the rest is the RDATA.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/dns/rdata.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view rdata(reinterpret_cast<const char*>(data + 1), size - 1);
  using namespace hearth::dns;
  switch (data[0] % 10) {
    case 0: (void)parse_a(rdata); break;
    case 1: (void)parse_aaaa(rdata); break;
    case 2: (void)parse_mx(rdata); break;
    case 3: (void)parse_srv(rdata); break;
    case 4: (void)parse_ptr(rdata); break;
    case 5:
      if (auto t = parse_txt(rdata)) (void)quote_txt(*t);
      break;
    case 6: (void)parse_tlsa(rdata); break;
    case 7: (void)normalize_query_name(rdata); break;
    case 8:
      if (auto c = parse_caa(rdata)) (void)format_caa(*c);
      break;
    case 9: (void)parse_cname(rdata); break;
  }
  return 0;
}
