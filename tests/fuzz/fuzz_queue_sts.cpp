// MTA-STS as a sender reads it (mail/queue/mta_sts.hpp): TXT strings and the policy document,
// both written by the receiving domain.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/queue/mta_sts.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hearth::mail::queue;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string why;
  if (auto p = parse_sts_policy(in, why)) (void)sts_mx_allowed(*p, "mail.example.com");
  std::vector<std::string> txt;
  for (std::size_t at = 0; at < in.size() && txt.size() < 8;) {
    auto nl = in.find('\n', at);
    txt.emplace_back(in.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at));
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  (void)sts_record_id(txt);
  return 0;
}
