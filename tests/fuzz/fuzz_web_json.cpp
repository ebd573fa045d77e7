// The web console's JSON reader (web/json.hpp): arbitrary bytes must give a value or an error,
// and whatever parses must write back to text that parses to the same text again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "web/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hearth::web;
  json::limits lim;
  lim.max_bytes = 8192;
  lim.max_depth = 8;
  lim.max_items = 256;
  lim.max_string = 1024;
  auto v = json::parse(std::string_view(reinterpret_cast<const char*>(data), size), lim);
  if (!v) return 0;
  std::string once = v->dump();
  json::limits roomy;
  roomy.max_bytes = once.size() + 1;
  roomy.max_depth = lim.max_depth;
  roomy.max_items = lim.max_items;
  roomy.max_string = lim.max_string;
  auto again = json::parse(once, roomy);
  if (!again || again->dump() != once) std::abort();
  return 0;
}
