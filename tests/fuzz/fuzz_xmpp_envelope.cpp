// A stanza forwarded between nodes (xmpp/router/envelope.hpp): a NOTIFY payload may come from
// any client of the database. Whatever decodes must encode again within the limit.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "xmpp/router/envelope.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto e = hearth::xmpp::decode_envelope(in);
  if (e) {
    auto back = hearth::xmpp::encode_envelope(*e);
    if (back) {
      auto again = hearth::xmpp::decode_envelope(*back);
      if (!again || again->kind != e->kind || again->arg != e->arg) std::abort();
    }
  }
  return 0;
}
