// The JSON reader (core/json/json.hpp), refusing and allowing duplicate keys: arbitrary bytes
// must give a value or an error, and whatever parses must write back to text that parses to the
// same text again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/json/json.hpp"

namespace {

void round_trip(std::string_view text, bool duplicate_keys) {
  namespace json = hearth::json;
  json::limits lim;
  lim.max_bytes = 8192;
  lim.max_depth = 8;
  lim.max_items = 256;
  lim.max_string = 1024;
  lim.duplicate_keys = duplicate_keys;
  auto v = json::parse(text, lim);
  if (!v) return;
  std::string once = v->dump();
  json::limits roomy = lim;
  roomy.max_bytes = once.size() + 1;
  auto again = json::parse(once, roomy);
  if (!again || again->dump() != once) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  round_trip(text, false);
  round_trip(text, true);
  return 0;
}
