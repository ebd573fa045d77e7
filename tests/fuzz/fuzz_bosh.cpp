// libFuzzer target: arbitrary bytes as a BOSH request body (xmpp/web/proto/bosh.hpp). A body that
// parses has a rid below 2^53 and payloads that serialize; the rid window never admits a
// request more than the window ahead.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "xmpp/web/proto/bosh.hpp"

using namespace hearth::xmpp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = web::parse_bosh(in, {.max_stanza = 64 * 1024, .max_depth = 16, .max_attrs = 16});
  if (r.error.empty()) {
    if (!r.rid || *r.rid >= (1ull << 53)) std::abort();
    for (const auto& p : r.payloads) (void)serialize(p);
    auto v = web::check_rid(*r.rid, 1000, 2);
    if (v == web::rid_verdict::process && *r.rid != 1001) std::abort();
    if (v == web::rid_verdict::wait && *r.rid != 1002) std::abort();
  }
  return 0;
}
