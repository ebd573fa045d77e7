// libFuzzer target for directory/address.hpp: normalize_address / normalize_domain /
// display_domain must never crash, and their output must be a fixed point within the limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "directory/address.hpp"

using namespace hearth::directory;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto a = normalize_address(in)) {
    if (a->size() > max_address) std::abort();
    // Normalizing a normal form changes nothing.
    auto again = normalize_address(*a);
    if (!again || *again != *a) std::abort();
    if (domain_of(*a).empty()) std::abort();
  }
  if (auto d = normalize_domain(in)) {
    if (d->size() > max_domain) std::abort();
    auto again = normalize_domain(*d);
    if (!again || *again != *d) std::abort();
    // The Unicode form maps back to the same ACE.
    auto round = normalize_domain(display_domain(*d));
    if (!round || *round != *d) std::abort();
  }
  (void)display_domain(in);
  return 0;
}
