// libFuzzer target for mail/srs: decoding any address (what a bounce's RCPT TO carries) must
// never crash, never accept noise as genuine, and whatever forward() makes must decode back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/srs/srs.hpp"

using namespace hearth::mail::srs;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  options o;
  o.secret = "fuzz-secret";
  o.domain = "fwd.test";
  constexpr std::int64_t now = 1796000000;
  (void)looks_like_srs(in);
  // As an address at our SRS domain: only a genuine hash may pass, and fuzz input cannot know it
  // except by copying one forward() made — which needs the secret. A 4-character base64 hash can
  // be guessed (1 in 2^24) so a pass is not an error, but the result must be an address.
  std::string addr = std::string(in) + "@fwd.test";
  if (auto r = reverse(o, addr, now); r && r->has_value() && (*r)->find('@') == std::string::npos) std::abort();
  (void)reverse(o, in, now);
  // Round trip: a forwarded sender always decodes back to what went in (or SRS1's first hop).
  if (auto f = forward(o, in, now); f && *f != in) {
    auto back = reverse(o, *f, now);
    if (!back || !back->has_value()) std::abort();
  }
  return 0;
}
