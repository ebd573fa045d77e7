// XEP-0202: Entity Time of the server (always UTC).
#include "xmpp/modules/modules.hpp"

namespace hearth::xmpp::modules {

void install_time(hub& h) {
  h.on_iq("get", "urn:xmpp:time", static_cast<int>(target::server), [](hub&, request&, const element&) {
    element t("time", "urn:xmpp:time");
    t.add("tzo", "urn:xmpp:time").add_text("+00:00");
    std::string stamp = xep82_stamp(now_us());
    t.add("utc", "urn:xmpp:time").add_text(stamp.substr(0, 19) + "Z");
    return iq_reply::ok(std::move(t));
  });
  h.add_feature("urn:xmpp:time");
}

}  // namespace hearth::xmpp::modules
