// XEP-0054 vcard-temp: each account's vCard, readable by anyone who may send it stanzas,
// writable by its owner. XEP-0153 avatars are the PHOTO inside it.
#include "xmpp/modules/modules.hpp"
#include "xmpp/stream/parser.hpp"

namespace hearth::xmpp::modules {

void install_vcard(hub& h) {
  const int any = static_cast<int>(target::own_account) | static_cast<int>(target::other_account);
  h.on_iq("get", "vcard-temp", any, [](hub& h, request& r, const element&) {
    auto doc = h.db().doc_get(r.to.bare(), "vcard");
    if (doc) {
      if (auto e = parse_fragment(*doc)) return iq_reply::ok(std::move(*e));
    }
    // XEP-0054 §3.1: an empty vCard when none was stored.
    return iq_reply::ok(element("vCard", "vcard-temp"));
  });
  h.on_iq("set", "vcard-temp", any, [](hub& h, request& r, const element& v) {
    if (r.to.bare() != r.from.full.bare()) return iq_reply::error("auth", "forbidden");
    h.db().doc_put(r.to.bare(), "vcard", serialize(v, ""));
    return iq_reply::ok();
  });
  h.add_feature("vcard-temp");
}

}  // namespace hearth::xmpp::modules
