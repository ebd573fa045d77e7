// XEP-0092: Software Version of the server.
#include "xmpp/modules/modules.hpp"

namespace hearth::xmpp::modules {

void install_version(hub& h) {
  h.on_iq("get", "jabber:iq:version", static_cast<int>(target::server), [](hub&, request&, const element&) {
    element q("query", "jabber:iq:version");
    q.add("name", "jabber:iq:version").add_text("Hearth");
    q.add("version", "jabber:iq:version").add_text("0.1.0");
    return iq_reply::ok(std::move(q));
  });
  h.add_feature("jabber:iq:version");
}

}  // namespace hearth::xmpp::modules
