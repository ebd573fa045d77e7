#include "xmpp/router/link.hpp"

#include <charconv>

#include "core/log/log.hpp"
#include "xmpp/router/hub.hpp"

namespace hearth::xmpp {

namespace {
// "r1" SP id: an envelope waiting in the relay table. Never a valid envelope ("x1 ...").
constexpr std::string_view relay_prefix = "r1 ";
}  // namespace

bool node_link::forward(const std::string& to_node, const envelope& e) {
  if (auto text = encode_envelope(e)) {
    notify_(to_node, std::move(*text));
    return true;
  }
  auto big = encode_envelope(e, max_relayed_envelope);
  if (!big) {
    log::warn("xmpp.cluster.dropped", {{"node", to_node}, {"stanza", e.stanza.name}, {"to", e.stanza.get("to")},
                                       {"reason", "too big"}});
    return false;
  }
  auto id = reg_.relay_put(to_node, *big, now_us() / 1000000);
  if (!id) {
    log::warn("xmpp.cluster.dropped", {{"node", to_node}, {"stanza", e.stanza.name}, {"to", e.stanza.get("to")},
                                       {"reason", "relay"}, {"error", id.error().message}});
    return false;
  }
  notify_(to_node, std::string(relay_prefix) + std::to_string(*id));
  return true;
}

std::optional<envelope> node_link::receive(std::string_view text) {
  if (text.substr(0, relay_prefix.size()) == relay_prefix) {
    auto digits = text.substr(relay_prefix.size());
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      log::warn("xmpp.cluster.bad_envelope", {{"size", std::uint64_t(text.size())}});
      return std::nullopt;
    }
    auto got = reg_.relay_take(id, node_);
    if (!got || !*got) {
      log::warn("xmpp.cluster.relay_missing", {{"id", id}, {"error", got ? std::string("taken or expired") : got.error().message}});
      return std::nullopt;
    }
    auto e = decode_envelope(**got, max_relayed_envelope);
    if (!e) log::warn("xmpp.cluster.bad_envelope", {{"size", std::uint64_t(got->value().size())}, {"relayed", "yes"}});
    return e;
  }
  auto e = decode_envelope(text);
  if (!e) log::warn("xmpp.cluster.bad_envelope", {{"size", std::uint64_t(text.size())}});
  return e;
}

}  // namespace hearth::xmpp
