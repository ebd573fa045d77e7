// libFuzzer target: a client's push <enable/>/<disable/> (XEP-0357). None may crash; what is
// accepted stays inside the limits, and its stored form parses back for the notification.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "xmpp/modules/push/proto/push.hpp"
#include "xmpp/stream/parser.hpp"

using namespace hearth::xmpp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto e = parse_fragment(in);
  if (!e) return 0;
  auto p = push::parse(*e);
  if (!p.req) return 0;
  const auto& r = p.req->reg;
  if (r.node.size() > push::max_node || r.options.size() > push::max_options) std::abort();
  if (!r.options.empty() && !parse_fragment(r.options)) std::abort();
  (void)serialize(push::notification("a@example.org", r, "id", {true, 2, "b@example.org"}));
  return 0;
}
