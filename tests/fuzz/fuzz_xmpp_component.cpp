// libFuzzer target: what an external component (XEP-0114) sends after its stream header: the
// handshake text, and stanzas checked before they are routed. None may crash; a handshake the
// fuzzer did not compute must not match; a stanza let through must name a to= and a from= at
// the component's domain.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "xmpp/component/proto/handshake.hpp"
#include "xmpp/stream/jid.hpp"
#include "xmpp/stream/parser.hpp"

using namespace hearth::xmpp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (component::handshake_matches("stream-id", "secret", in)) std::abort();
  if (auto st = parse_fragment(in)) {
    if (component::check_outbound(*st, "push.example.org").empty()) {
      auto from = jid::parse(st->get("from"));
      if (!from || from->domain != "push.example.org" || !jid::parse(st->get("to"))) std::abort();
    }
  }
  return 0;
}
