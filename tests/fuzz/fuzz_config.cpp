// libFuzzer target for config::parse: any bytes must give a config or an error value with a
// message, never a crash, a hang or a leak.
// Build it against the compiled toml++ (-DTOML_HEADER_ONLY=0, as the tomlplusplus::tomlplusplus
// target does): toml++ 3.3's header-only parser asserts on headers such as "[#x]" or "[[[a]]]"
// (upstream PR marzer/tomlplusplus#301); the Debian library returns a parse_error for them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = hearth::config::parse(text, "/fuzz/hearth.toml");
  if (r) {
    (void)r->bind_addresses(hearth::config::service::smtp);
  } else if (r.error().message.empty()) {
    __builtin_trap();  // an error must say what is wrong
  }
  return 0;
}
