// XEP-0191: Blocking Command. The list is enforced by the hub (hub::is_blocked): nothing from a
// blocked JID is delivered, nothing is sent to it; changes are pushed to every resource that
// asked for the list.
#include "xmpp/modules/modules.hpp"

namespace hearth::xmpp::modules {

namespace {
std::optional<std::vector<std::string>> items(const element& e) {
  std::vector<std::string> out;
  for (const auto& i : e.children) {
    if (i.is_text() || i.name != "item") continue;
    auto j = jid::parse(i.get("jid"));
    if (!j) return std::nullopt;  // XEP-0191 §3.2: jid-malformed
    out.push_back(j->full());
  }
  return out;
}

void push(hub& h, const std::string& owner, const element& change) {
  for (const auto& s : h.sessions_of(owner)) {
    element iq("iq", std::string(ns_client));
    iq.set("type", "set").set("id", "block" + std::to_string(now_us())).set("to", s->full.full());
    iq.add(change);
    s->send(iq);
  }
}
}  // namespace

void install_blocking(hub& h) {
  const int own = static_cast<int>(target::own_account);
  h.on_iq("get", ns_blocking, own, [](hub& h, request& r, const element& q) {
    if (q.name != "blocklist") return iq_reply::error("modify", "bad-request");
    element out("blocklist", std::string(ns_blocking));
    for (const auto& j : h.db().blocked(r.from.full.bare())) out.add("item", std::string(ns_blocking)).set("jid", j);
    return iq_reply::ok(std::move(out));
  });
  h.on_iq("set", ns_blocking, own, [](hub& h, request& r, const element& q) {
    const std::string owner = r.from.full.bare();
    auto list = items(q);
    if (!list) return iq_reply::error("modify", "jid-malformed");
    if (q.name == "block") {
      if (list->empty()) return iq_reply::error("modify", "bad-request");
      h.db().block(owner, *list);
    } else if (q.name == "unblock") {
      h.db().unblock(owner, *list);
    } else {
      return iq_reply::error("modify", "bad-request");
    }
    h.invalidate_blocklist(owner);
    push(h, owner, q);
    return iq_reply::ok();
  });
  h.add_feature(std::string(ns_blocking));
}

}  // namespace hearth::xmpp::modules
