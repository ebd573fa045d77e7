// libFuzzer target: the Autodiscover POX request parser (rfc6764/autoconfig.hpp). Its input is
// an unauthenticated POST body from anyone on the internet: it must refuse, never crash, and
// never expand entities.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/log/log.hpp"
#include "rfc6764/autoconfig.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hearth::log::set_level(hearth::log::level::error);
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto r = hearth::rfc6764::parse_autodiscover_request(body);
  if (r && r->find('@') == std::string::npos) __builtin_trap();  // a result is always an address
  return 0;
}
