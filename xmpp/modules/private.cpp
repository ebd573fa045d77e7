// XEP-0049: Private XML Storage, one element per namespace (XEP-0048 bookmarks are
// <storage xmlns='storage:bookmarks'/> here). Only the owner reads or writes it.
#include "xmpp/modules/modules.hpp"
#include "xmpp/stream/parser.hpp"

namespace hearth::xmpp::modules {

namespace {
const element* single_child(const element& q) {
  const element* c = nullptr;
  for (const auto& x : q.children) {
    if (x.is_text()) continue;
    if (c) return nullptr;
    c = &x;
  }
  return c;
}
// XEP-0049 §3: jabber:* namespaces may not be stored (not-acceptable).
bool forbidden_ns(const std::string& ns) { return ns.empty() || ns.rfind("jabber:", 0) == 0; }
}  // namespace

void install_private(hub& h) {
  const int own = static_cast<int>(target::own_account);
  h.on_iq("get", "jabber:iq:private", own, [](hub& h, request& r, const element& q) {
    const element* c = single_child(q);
    if (!c) return iq_reply::error("modify", "bad-request");
    if (forbidden_ns(c->ns)) return iq_reply::error("modify", "not-acceptable");
    element out("query", "jabber:iq:private");
    auto doc = h.db().doc_get(r.from.full.bare(), "private " + c->ns);
    std::optional<element> stored = doc ? parse_fragment(*doc) : std::nullopt;
    out.add(stored ? std::move(*stored) : element(c->name, c->ns));
    return iq_reply::ok(std::move(out));
  });
  h.on_iq("set", "jabber:iq:private", own, [](hub& h, request& r, const element& q) {
    const element* c = single_child(q);
    if (!c) return iq_reply::error("modify", "bad-request");
    if (forbidden_ns(c->ns)) return iq_reply::error("modify", "not-acceptable");
    h.db().doc_put(r.from.full.bare(), "private " + c->ns, serialize(*c, ""));
    return iq_reply::ok();
  });
  h.add_feature("jabber:iq:private");
}

}  // namespace hearth::xmpp::modules
