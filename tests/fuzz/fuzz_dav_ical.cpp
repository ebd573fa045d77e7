// libFuzzer target: calendar object and vCard validation, instance expansion and export
// splitting (dav/ical): what a PUT body or an imported file can reach.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dav/ical/ical.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace hearth::dav::ical;
  if (auto info = inspect(text)) {
    (void)instances(text, 0, 4102444800, 100);
    (void)expand(text, 0, 4102444800);
  }
  (void)inspect_vcard(text);
  for (auto& o : split_calendar(text).objects) (void)inspect(o);
  (void)split_vcards(text);
  return 0;
}
