// The outbound queue's route helpers (mail/queue/route.hpp): a relay address as written in the
// config, and the classification of a refusal a remote server sends (its text is theirs).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/queue/route.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hearth::mail::queue;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)parse_relay(in);
  auto nl = in.find('\n');
  std::string_view status = nl == std::string_view::npos ? std::string_view{} : in.substr(0, nl);
  std::string_view reply = nl == std::string_view::npos ? in : in.substr(nl + 1);
  (void)block_of(reply, status);
  (void)name_matches(status, reply);
  return 0;
}
