// The cross-node event payload (core/events/wire.hpp): what arrives in a NOTIFY may come from
// any client of the database. Whatever decodes must encode back to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/events/wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto d = hearth::events::wire::decode(in);
  if (d) {
    auto back = hearth::events::wire::encode(d->origin, d->ev);
    if (!back || *back != in) std::abort();
  }
  return 0;
}
