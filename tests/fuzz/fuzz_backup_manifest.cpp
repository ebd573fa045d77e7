// libFuzzer: the backup manifest parser (core/backup/manifest.hpp) on arbitrary bytes; what it
// accepts must format back to text it accepts again.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/backup/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto m = hearth::backup::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (m) {
    auto again = hearth::backup::parse(hearth::backup::format(*m));
    if (!again) __builtin_trap();
  }
  return 0;
}
