#include "xmpp/component/proto/handshake.hpp"

#include <cctype>

#include "core/crypto/crypto.hpp"
#include "xmpp/stream/jid.hpp"

namespace hearth::xmpp::component {

std::string handshake_digest(std::string_view stream_id, std::string_view secret) {
  std::string in(stream_id);
  in += secret;
  return crypto::hex_encode(crypto::sha1(in));
}

bool handshake_matches(std::string_view stream_id, std::string_view secret, std::string_view received) {
  while (!received.empty() && std::isspace(static_cast<unsigned char>(received.front()))) received.remove_prefix(1);
  while (!received.empty() && std::isspace(static_cast<unsigned char>(received.back()))) received.remove_suffix(1);
  // Some components send upper-case hex; the comparison is on lower case.
  std::string got(received);
  for (auto& c : got) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string want = handshake_digest(stream_id, secret);
  return got.size() == want.size() && crypto::constant_time_equal(got, want);
}

std::string check_outbound(const element& stanza, std::string_view domain) {
  if (stanza.name != "message" && stanza.name != "presence" && stanza.name != "iq") return "unsupported-stanza-type";
  auto to = jid::parse(stanza.get("to"));
  if (!to) return "improper-addressing";
  auto from = jid::parse(stanza.get("from"));
  if (!from || from->domain != domain) return "invalid-from";
  return "";
}

}  // namespace hearth::xmpp::component
