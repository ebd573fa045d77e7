// libFuzzer target for mail/mailauth SPF: the record parser and macro expansion must never
// crash, and expanded domain-specs stay within 253 octets.
#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/mailauth/spf.hpp"

using namespace hearth::mail::mailauth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)is_spf_record(in);
  (void)parse_spf(in);
  (void)parse_spf("v=spf1 " + std::string(in));
  spf_macro_context c;
  c.sender = "user@example.org";
  c.domain = "example.org";
  c.ip = boost::asio::ip::make_address("2001:db8::1");
  c.helo = "helo.example.org";
  if (auto e = expand_macros(in, c, false)) {
    if (e->size() > 253) std::abort();
  }
  (void)expand_macros(in, c, true);
  return 0;
}
