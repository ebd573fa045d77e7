// XEP-0280: Message Carbons. The copies themselves are made by the hub (router/message.cpp);
// this switches them on and off per resource.
#include "xmpp/modules/modules.hpp"

namespace hearth::xmpp::modules {

void install_carbons(hub& h) {
  h.on_iq("set", ns_carbons, static_cast<int>(target::own_account) | static_cast<int>(target::server),
          [](hub&, request& r, const element& q) {
            if (q.name != "enable" && q.name != "disable") return iq_reply::error("modify", "bad-request");
            std::lock_guard lk(r.from.mu);
            r.from.carbons = q.name == "enable";
            return iq_reply::ok();
          });
  h.add_feature(std::string(ns_carbons));
}

}  // namespace hearth::xmpp::modules
