// A session handed from node to node for XEP-0198 resumption (xmpp/router/handover.hpp): the
// element inside an envelope may come from any client of the database. Whatever decodes must
// encode again and decode to the same state.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "xmpp/router/handover.hpp"
#include "xmpp/stream/parser.hpp"

using namespace hearth::xmpp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto e = parse_fragment(in);
  if (!e) return 0;
  e->ns = std::string(ns_handover);  // reach the decoders without guessing the namespace
  if (auto r = decode_handover_request(*e)) {
    auto again = decode_handover_request(encode_handover_request(*r));
    if (!again || again->user != r->user || again->node != r->node || again->ask != r->ask || again->hops != r->hops)
      std::abort();
  }
  auto a = decode_handover(*e);
  if (!a) return 0;
  if (!a->state) {
    auto again = decode_handover(encode_handover_failed(a->ask, a->failed));
    if (!again || again->failed != a->failed) std::abort();
    return 0;
  }
  auto back = encode_handover(*a->state, a->ask);
  if (!back) std::abort();
  auto text = parse_fragment(serialize(*back));  // as it travels: text in an envelope
  if (!text) std::abort();
  auto again = decode_handover(*text);
  if (!again || !again->state || again->state->unacked.size() != a->state->unacked.size() ||
      again->state->full != a->state->full || again->state->in_count != a->state->in_count)
    std::abort();
  for (std::size_t i = 0; i < a->state->unacked.size(); ++i)
    if (again->state->unacked[i].xml != a->state->unacked[i].xml) std::abort();
  return 0;
}
