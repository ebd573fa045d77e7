// XEP-0313 Message Archive Management (urn:xmpp:mam:2) for the user's own archive, with
// XEP-0359 stanza ids and XEP-0059 result set paging.
#include "core/log/log.hpp"
#include "xmpp/modules/modules.hpp"
#include "xmpp/stream/parser.hpp"

namespace hearth::xmpp::modules {

namespace {
constexpr std::string_view ns_mam = "urn:xmpp:mam:2";
constexpr std::string_view ns_rsm = "http://jabber.org/protocol/rsm";
constexpr std::string_view ns_data = "jabber:x:data";
constexpr std::size_t max_page = 250;

void archive(hub& h, const std::string& owner, element& msg, bool outgoing) {
  // XEP-0359 §6: a stanza-id claiming to be ours that a client put there is removed.
  auto& ch = msg.children;
  bool already = false;
  for (auto it = ch.begin(); it != ch.end();) {
    if (!it->is_text() && it->name == "stanza-id" && it->ns == ns_sid && it->get("by") == owner) {
      if (!outgoing && msg.get("from").rfind(owner, 0) != 0) {
        it = ch.erase(it);
        continue;
      }
      already = true;  // routed again (an unacknowledged stanza of a closed session)
    }
    ++it;
  }
  if (already) return;
  auto peer = jid::parse(outgoing ? msg.get("to") : msg.get("from"));
  if (!peer) return;
  archived a;
  a.stanza_id = log::new_id() + log::new_id();
  a.with = peer->bare();
  a.stamp_us = now_us();
  a.stanza = serialize(msg);
  h.db().archive_add(owner, a);
  if (!outgoing) msg.add("stanza-id", std::string(ns_sid)).set("id", a.stanza_id).set("by", owner);
}

element form() {
  element x("x", std::string(ns_data));
  x.set("type", "form");
  auto field = [&](std::string var, std::string type, std::string value = {}) {
    auto& f = x.add("field", std::string(ns_data));
    f.set("var", var).set("type", type);
    if (!value.empty()) f.add("value", std::string(ns_data)).add_text(value);
  };
  field("FORM_TYPE", "hidden", std::string(ns_mam));
  field("with", "jid-single");
  field("start", "text-single");
  field("end", "text-single");
  return x;
}
}  // namespace

void install_mam(hub& h) {
  const int own = static_cast<int>(target::own_account);
  h.on_message(archive);
  h.on_iq("get", ns_mam, own, [](hub&, request&, const element&) {
    element q("query", std::string(ns_mam));
    q.add(form());
    return iq_reply::ok(std::move(q));
  });
  h.on_iq("set", ns_mam, own, [](hub& h, request& r, const element& q) {
    if (q.name != "query") return iq_reply::error("modify", "bad-request");
    const std::string owner = r.from.full.bare();
    archive_query aq;
    auto values = form_values(q.child("x", ns_data));
    auto one = [&](const char* k) -> std::optional<std::string> {
      auto it = values.find(k);
      if (it == values.end() || it->second.empty()) return std::nullopt;
      return it->second.front();
    };
    if (auto w = one("with")) {
      auto j = jid::parse(*w);
      if (!j) return iq_reply::error("modify", "jid-malformed");
      aq.with = j->bare();
    }
    if (auto s = one("start")) {
      aq.start_us = parse_xep82(*s);
      if (!aq.start_us) return iq_reply::error("modify", "bad-request");
    }
    if (auto e = one("end")) {
      aq.end_us = parse_xep82(*e);
      if (!aq.end_us) return iq_reply::error("modify", "bad-request");
    }
    if (const element* set = q.child("set", ns_rsm)) {
      if (const element* m = set->child("max")) {
        try {
          aq.max = std::min<std::size_t>(max_page, std::stoul(m->body()));
        } catch (...) {
          return iq_reply::error("modify", "bad-request");
        }
      }
      if (const element* a = set->child("after")) aq.after_id = a->body();
      if (const element* b = set->child("before")) aq.before_id = b->body();
    }
    auto page = h.db().archive_find(owner, aq);
    const std::string queryid = q.get("queryid");
    for (const auto& a : page.items) {
      auto stored = parse_fragment(a.stanza);
      if (!stored) continue;
      element m("message", std::string(ns_client));
      m.set("to", r.from.full.full());
      auto& res = m.add("result", std::string(ns_mam));
      if (!queryid.empty()) res.set("queryid", queryid);
      res.set("id", a.stanza_id);
      auto& fwd = res.add("forwarded", std::string(ns_forward));
      fwd.add("delay", std::string(ns_delay)).set("stamp", xep82_stamp(a.stamp_us));
      fwd.add(std::move(*stored));
      r.from.send(m);
    }
    element fin("fin", std::string(ns_mam));
    if (page.complete) fin.set("complete", "true");
    auto& set = fin.add("set", std::string(ns_rsm));
    if (!page.items.empty()) {
      set.add("first", std::string(ns_rsm)).add_text(page.items.front().stanza_id);
      set.add("last", std::string(ns_rsm)).add_text(page.items.back().stanza_id);
    }
    set.add("count", std::string(ns_rsm)).add_text(std::to_string(page.count));
    return iq_reply::ok(std::move(fin));
  });
  h.add_feature(std::string(ns_mam), true);
  h.add_feature(std::string(ns_sid), true);
}

}  // namespace hearth::xmpp::modules
