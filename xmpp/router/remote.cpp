// Inbound processing of stanzas from other servers (RFC 6120 §10, RFC 6121 §3-4, §8): the s2s
// session authenticated the sending domain and hands the stanza over in jabber:client.
#include <algorithm>
#include "core/log/log.hpp"
#include "xmpp/router/hub.hpp"

namespace hearth::xmpp {

namespace {

// The requester of an iq that came over s2s, seen by the iq handlers as a session: `full` is the
// remote JID (so presence-subscription rules apply as for a local asker) and replies go back
// through the s2s layer.
class remote_requester final : public session {
 public:
  explicit remote_requester(std::function<void(element)> out) : out_(std::move(out)) {}
  void send(const element& stanza) override {
    if (out_) out_(stanza);
  }
  void kick(std::string) override {}

 private:
  std::function<void(element)> out_;
};

}  // namespace

void hub::handle_remote(element st) {
  auto from = jid::parse(st.get("from"));
  auto to = jid::parse(st.get("to"));
  if (!from || !to || is_local_domain(from->domain) || is_component(from->domain)) return;
  if (is_component(to->domain)) {
    to_component(std::move(st), *to);
    return;
  }
  if (!is_local_domain(to->domain)) return;
  const std::string type = st.get("type");
  if (st.name == "message") {
    if (to->local.empty()) return;
    deliver_message(std::move(st), *to, false);
    return;
  }
  if (st.name == "presence") {
    if (to->local.empty()) return;
    if (type == "subscribe" || type == "subscribed" || type == "unsubscribe" || type == "unsubscribed") {
      inbound_subscription(type, from->to_bare(), to->bare());
      return;
    }
    if (type == "probe") {
      // RFC 6121 §4.3.2: answered for a subscriber with each available resource's presence.
      const std::string owner = to->bare();
      auto subs = presence_subscribers(owner);
      if (std::find(subs.begin(), subs.end(), from->bare()) == subs.end() || !remote_) return;
      if (is_blocked(owner, from->bare())) return;
      for (auto& p : available_presences(owner)) {
        p.set("to", st.get("from"));
        remote_(std::move(p));
      }
      return;
    }
    if (type.empty() || type == "unavailable" || type == "error") deliver_presence(st, *to);
    return;
  }
  if (st.name != "iq") return;
  if (type == "result" || type == "error") {
    if (!to->resource.empty()) {
      send_to_full(to->full(), st);
    } else {
      iq_answer(st);
    }
    return;
  }
  if (type != "get" && type != "set") return;
  if (!to->resource.empty() && !is_blocked(to->bare(), from->bare()) && send_to_full(to->full(), st)) return;
  const element* payload = st.first_child();
  if (to->is_domain() && type == "get" && payload && payload->name == "ping" && payload->ns == "urn:xmpp:ping") {
    if (remote_) remote_(make_iq_result(st));  // XEP-0199 §4.3: server-to-server ping
    return;
  }
  // Requests to the domain or an account (disco, vCard, PEP items, last, version, time...): the
  // same handlers and rules as for a local asker, answered through s2s.
  if (!remote_) return;
  remote_requester asker(remote_);
  asker.full = *from;
  request r{asker, std::move(st), *to};
  handle_iq(r);
}

}  // namespace hearth::xmpp
