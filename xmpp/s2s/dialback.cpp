// XEP-0185 dialback keys and the namespace switch between jabber:client and jabber:server.
#include "core/crypto/crypto.hpp"
#include "xmpp/s2s/internal.hpp"

namespace hearth::xmpp {

std::string dialback_key(std::string_view secret, std::string_view receiving, std::string_view originating,
                         std::string_view stream_id) {
  std::string data;
  data.append(receiving).append(" ").append(originating).append(" ").append(stream_id);
  return crypto::hex_encode(crypto::hmac_sha256(crypto::hex_encode(crypto::sha256(secret)), data));
}

void switch_ns(element& e, std::string_view from, std::string_view to) {
  if (e.ns == from) e.ns = std::string(to);
  for (auto& c : e.children)
    if (!c.is_text()) switch_ns(c, from, to);
}

}  // namespace hearth::xmpp
