// libFuzzer target for mail/mailauth's ARC: any header section (ARC fields with whatever
// instance numbers, tags and duplicates) must be collected and verified without crashing, and
// noise must never verify as a chain.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "mail/mailauth/arc.hpp"

using namespace hearth::mail::mailauth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // The input as a whole header (it may hold its own ARC fields), and as the value of each kind.
  std::string msg = std::string(in) + "\r\n\r\nbody\r\n";
  for (std::string prefix : {"", "ARC-Seal: ", "ARC-Message-Signature: ", "ARC-Authentication-Results: "}) {
    std::string m = prefix + msg;
    auto h = hearth::mail::parse_header(m);
    std::map<std::string, key_answer> keys;
    for (const auto& n : arc_key_names(h)) keys[n] = key_answer{key_answer::ok, {std::string(in)}};
    auto v = verify_arc(m, h, keys);
    if (v.result == "pass") std::abort();  // no valid seal can come from noise
    if (v.instances < 0 || v.instances > max_arc_instances) std::abort();
  }
  return 0;
}
