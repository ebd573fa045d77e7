// XEP-0215: External Service Discovery. Announces the configured STUN/TURN server, so audio and
// video calls (Conversations, Dino, Monal) find a relay, with TURN credentials that expire
// (draft-uberti-behave-turn-rest, "TURN REST API": the user name is "EXPIRY:JID" and the
// password base64(HMAC-SHA-1(shared secret, user name)); coturn checks them with
// use-auth-secret / static-auth-secret, so no per-user state lives anywhere).
#include <chrono>

#include "core/crypto/crypto.hpp"
#include "xmpp/modules/modules.hpp"

namespace hearth::xmpp::modules {

namespace {
constexpr std::string_view ns_extdisco = "urn:xmpp:extdisco:2";

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The services of `o`, with credentials for `user` on the TURN ones; filtered by type and
// host when given (XEP-0215 §3.2 and §3.3).
element services(const extdisco_options& o, const std::string& user, std::string_view type, std::string_view host,
                 std::string_view name) {
  element q{std::string(name), std::string(ns_extdisco)};
  const std::int64_t expires = now_seconds() + o.credential_ttl.count();
  const std::string username = std::to_string(expires) + ":" + user;
  const std::string password = crypto::base64_encode(crypto::hmac_sha1(o.turn_secret, username));
  for (const char* kind : {"stun", "turn"}) {
    const bool turn = std::string_view(kind) == "turn";
    if (turn && o.turn_secret.empty()) continue;  // a relay nobody may use is not announced
    if (!type.empty() && type != kind) continue;
    if (!host.empty() && host != o.host) continue;
    for (const char* transport : {"udp", "tcp"}) {
      auto& s = q.add("service", std::string(ns_extdisco));
      s.set("type", kind).set("host", o.host).set("port", std::to_string(o.port)).set("transport", transport);
      if (turn) {
        s.set("username", username).set("password", password).set("expires", xep82_stamp(expires * 1000000));
        s.set("restricted", "1");  // §3.3: the credentials are for this user
      }
    }
  }
  return q;
}
}  // namespace

void install_extdisco(hub& h, extdisco_options o) {
  if (o.host.empty()) return;
  const int to_server = static_cast<int>(target::server);
  h.on_iq("get", ns_extdisco, to_server, [o](hub&, request& r, const element& in) {
    const std::string user = r.from.full.bare();
    if (in.name == "services") return iq_reply::ok(services(o, user, in.get("type"), {}, "services"));
    if (in.name == "credentials") {
      // §3.3: credentials for one service, named by host and type in the request.
      const element* s = in.child("service");
      if (!s) return iq_reply::error("modify", "bad-request");
      auto out = services(o, user, s->get("type"), s->get("host"), "credentials");
      if (out.children.empty()) return iq_reply::error("cancel", "item-not-found");
      return iq_reply::ok(std::move(out));
    }
    return iq_reply::error("cancel", "feature-not-implemented");
  });
  h.add_feature(std::string(ns_extdisco));
}

}  // namespace hearth::xmpp::modules
