// XEP-0030: Service Discovery. The server lists its identity and the features every module
// registered; an account's bare JID answers for the account (XEP-0163 §6.1: pubsub/pep, and
// pubsub#publish-options, which Conversations checks before OMEMO). disco#items of the server
// lists the components (group chat).
#include "xmpp/modules/modules.hpp"

namespace hearth::xmpp::modules {

namespace {
constexpr std::string_view ns_info = "http://jabber.org/protocol/disco#info";
constexpr std::string_view ns_items = "http://jabber.org/protocol/disco#items";

void feature(element& q, std::string_view var) { q.add("feature", std::string(ns_info)).set("var", var); }
}  // namespace

void install_disco(hub& h) {
  const int all = static_cast<int>(target::server) | static_cast<int>(target::own_account) |
                  static_cast<int>(target::other_account);
  h.add_feature(std::string(ns_info));
  h.add_feature(std::string(ns_items));
  h.add_feature(std::string(ns_info), true);
  h.add_feature(std::string(ns_items), true);
  h.on_iq("get", ns_info, all, [](hub& h, request& r, const element& in) {
    element q("query", std::string(ns_info));
    bool server = r.to.is_domain() && r.stanza.attr("to").has_value();
    if (auto node = in.attr("node")) {
      // XEP-0115 §6.2: the caps node#ver of the server is answered like the server itself.
      if (!server || *node != std::string(hub::caps_node) + "#" + h.caps_ver())
        return iq_reply::error("cancel", "item-not-found");
      q.set("node", *node);
    }
    auto& id = q.add("identity", std::string(ns_info));
    if (server) {
      id.set("category", "server").set("type", "im").set("name", "Hearth");
    } else {
      id.set("category", "account").set("type", "registered");
      q.add("identity", std::string(ns_info)).set("category", "pubsub").set("type", "pep");
    }
    for (const auto& f : h.features(!server)) feature(q, f);
    return iq_reply::ok(std::move(q));
  });
  h.on_iq("get", ns_items, all, [](hub& h, request& r, const element&) {
    element q("query", std::string(ns_items));
    bool server = r.to.is_domain() && r.stanza.attr("to").has_value();
    // XEP-0030 §4: the server's components (group chat) are its items.
    if (server)
      for (const auto& [jid, name] : h.component_items())
        q.add("item", std::string(ns_items)).set("jid", jid).set("name", name);
    if (!server) {
      // XEP-0163 §7: the account's PEP nodes (only to the owner: access models vary).
      if (r.to.bare() == r.from.full.bare())
        for (const auto& n : h.db().pep_nodes(r.to.bare()))
          q.add("item", std::string(ns_items)).set("jid", r.to.bare()).set("node", n);
    }
    return iq_reply::ok(std::move(q));
  });
}

}  // namespace hearth::xmpp::modules
