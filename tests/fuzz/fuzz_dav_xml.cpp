// libFuzzer target: DAV request bodies (dav/xml parse, then PROPFIND, PROPPATCH/MKCOL and
// REPORT parsing with filters) and href parsing. Every input must give a value or an error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dav/server/internal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  using namespace hearth::dav;
  if (auto e = xml::parse(body)) {
    auto again = xml::parse(xml::serialize(*e));
    if (!again || again->name != e->name) __builtin_trap();  // serialize round-trips
  }
  (void)parse_propfind(body);
  (void)parse_proppatch(body);
  (void)parse_report(body);
  if (auto p = href_to_path(body)) (void)parse_path(*p);
  return 0;
}
