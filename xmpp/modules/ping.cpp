// XEP-0199: XMPP Ping, to the server (a client's keep-alive check).
#include "xmpp/modules/modules.hpp"

namespace hearth::xmpp::modules {

void install_ping(hub& h) {
  h.on_iq("get", "urn:xmpp:ping", static_cast<int>(target::server) | static_cast<int>(target::own_account),
          [](hub&, request&, const element&) { return iq_reply::ok(); });
  h.add_feature("urn:xmpp:ping");
}

}  // namespace hearth::xmpp::modules
