// XEP-0163 Personal Eventing Protocol: one pubsub service per account (its bare JID), nodes
// created on first publish, XEP-0060 publish-options (access model, max items) as Conversations
// uses them for OMEMO (eu.siacs.conversations.axolotl.devicelist/bundles), XEP-0084 avatars,
// XEP-0172 nick and XEP-0402 bookmarks (whitelist: the owner only).
// Notifications go to the owner's resources and, unless the node is whitelist, to the
// available resources of the contacts subscribed to the owner's presence (no +notify
// filtering yet: clients ignore events they did not ask for).
#include "xmpp/modules/modules.hpp"
#include "xmpp/stream/parser.hpp"

namespace hearth::xmpp::modules {

namespace {
constexpr std::string_view ns_pubsub = "http://jabber.org/protocol/pubsub";
constexpr std::string_view ns_event = "http://jabber.org/protocol/pubsub#event";
constexpr std::string_view ns_owner = "http://jabber.org/protocol/pubsub#owner";
constexpr std::size_t max_items_cap = 1000;

struct node_config {
  std::string access = "presence";  // open | presence | whitelist
  std::size_t max_items = 1;
};

node_config load_config(hub& h, const std::string& owner, const std::string& node) {
  node_config c;
  if (auto d = h.db().doc_get(owner, "pep " + node)) {
    auto sp = d->find(' ');
    c.access = d->substr(0, sp);
    if (sp != std::string::npos) c.max_items = std::stoul(d->substr(sp + 1));
  }
  return c;
}

bool may_read(hub& h, const std::string& owner, const std::string& asker, const node_config& c) {
  if (owner == asker || c.access == "open") return true;
  if (c.access == "whitelist") return false;
  auto item = h.db().roster_get(owner, asker);
  return item && item->sub_from;
}

void notify(hub& h, const std::string& owner, const std::string& node, const node_config& c, const element& items) {
  std::vector<std::string> to{owner};
  if (c.access != "whitelist")
    for (const auto& s : h.presence_subscribers(owner)) to.push_back(s);
  for (const auto& bare : to) {
    for (const auto& s : h.sessions_of(bare)) {
      {
        std::lock_guard lk(s->mu);
        if (!s->available && bare != owner) continue;
      }
      element m("message", std::string(ns_client));
      m.set("from", owner).set("to", s->full.full()).set("type", "headline");
      m.add("event", std::string(ns_event)).add(items);
      s->send(m);
    }
  }
  (void)node;
}

iq_reply publish(hub& h, request& r, const element& ps, const element& pub) {
  const std::string owner = r.from.full.bare();
  const std::string node = pub.get("node");
  if (node.empty()) return iq_reply::error("modify", "bad-request");
  const element* item = pub.child("item");
  element stored_item("item", std::string(ns_pubsub));
  std::string id = item && item->attr("id") ? item->get("id") : "current";
  if (item && item->get("id").empty() && !item->attr("id")) id = std::to_string(now_us());
  auto cfg = load_config(h, owner, node);
  bool existed = h.db().doc_get(owner, "pep " + node).has_value();
  if (const element* po = ps.child("publish-options")) {
    auto v = form_values(po->child("x", "jabber:x:data"));
    if (auto it = v.find("pubsub#access_model"); it != v.end() && !it->second.empty()) {
      const auto& a = it->second.front();
      if (a != "open" && a != "presence" && a != "whitelist") return iq_reply::error("modify", "not-acceptable");
      cfg.access = a;
    }
    if (auto it = v.find("pubsub#max_items"); it != v.end() && !it->second.empty()) {
      cfg.max_items = it->second.front() == "max" ? max_items_cap : std::min<std::size_t>(max_items_cap, std::stoul(it->second.front()));
    }
  } else if (!existed && node == "urn:xmpp:bookmarks:1") {
    cfg.access = "whitelist";
    cfg.max_items = max_items_cap;
  }
  h.db().doc_put(owner, "pep " + node, cfg.access + " " + std::to_string(cfg.max_items));
  std::string payload;
  if (item)
    for (const auto& c : item->children)
      if (!c.is_text()) {
        payload = serialize(c, "");
        break;
      }
  h.db().pep_publish(owner, node, {id, payload}, cfg.max_items);
  element items("items", std::string(ns_event));
  items.set("node", node);
  auto& it = items.add("item", std::string(ns_event));
  it.set("id", id);
  if (auto p = parse_fragment(payload)) it.add(std::move(*p));
  notify(h, owner, node, cfg, items);
  element reply("pubsub", std::string(ns_pubsub));
  auto& rp = reply.add("publish", std::string(ns_pubsub));
  rp.set("node", node);
  rp.add("item", std::string(ns_pubsub)).set("id", id);
  return iq_reply::ok(std::move(reply));
}

iq_reply get_items(hub& h, request& r, const element& req) {
  const std::string owner = r.to.bare();
  const std::string node = req.get("node");
  if (!h.db().doc_get(owner, "pep " + node)) return iq_reply::error("cancel", "item-not-found");
  auto cfg = load_config(h, owner, node);
  if (!may_read(h, owner, r.from.full.bare(), cfg)) return iq_reply::error("auth", "forbidden");
  std::size_t max = max_items_cap;
  if (auto m = req.attr("max_items")) {
    try {
      max = std::min<std::size_t>(max_items_cap, std::stoul(*m));
    } catch (...) {
    }
  }
  std::set<std::string> wanted;
  for (const auto& c : req.children)
    if (!c.is_text() && c.name == "item") wanted.insert(c.get("id"));
  element ps("pubsub", std::string(ns_pubsub));
  auto& items = ps.add("items", std::string(ns_pubsub));
  items.set("node", node);
  auto all = h.db().pep_items(owner, node, max_items_cap);
  std::size_t n = 0;
  for (auto& i : all) {
    if (!wanted.empty() && !wanted.count(i.id)) continue;
    if (n++ >= max) break;
    auto& it = items.add("item", std::string(ns_pubsub));
    it.set("id", i.id);
    if (auto p = parse_fragment(i.payload)) it.add(std::move(*p));
  }
  return iq_reply::ok(std::move(ps));
}

iq_reply retract(hub& h, request& r, const element& req) {
  const std::string owner = r.from.full.bare();
  const std::string node = req.get("node");
  const element* item = req.child("item");
  if (!item) return iq_reply::error("modify", "bad-request");
  if (!h.db().pep_retract(owner, node, item->get("id"))) return iq_reply::error("cancel", "item-not-found");
  if (req.get("notify") == "true" || req.get("notify") == "1") {
    element items("items", std::string(ns_event));
    items.set("node", node);
    items.add("retract", std::string(ns_event)).set("id", item->get("id"));
    notify(h, owner, node, load_config(h, owner, node), items);
  }
  return iq_reply::ok();
}
}  // namespace

void install_pep(hub& h) {
  const int own = static_cast<int>(target::own_account);
  const int any = own | static_cast<int>(target::other_account);
  h.on_iq("set", ns_pubsub, own, [](hub& h, request& r, const element& ps) {
    if (ps.name != "pubsub") return iq_reply::error("modify", "bad-request");
    if (r.to.bare() != r.from.full.bare()) return iq_reply::error("auth", "forbidden");
    if (const element* p = ps.child("publish")) return publish(h, r, ps, *p);
    if (const element* p = ps.child("retract")) return retract(h, r, *p);
    return iq_reply::error("cancel", "feature-not-implemented");
  });
  h.on_iq("get", ns_pubsub, any, [](hub& h, request& r, const element& ps) {
    if (const element* i = ps.child("items")) return get_items(h, r, *i);
    return iq_reply::error("cancel", "feature-not-implemented");
  });
  h.on_iq("set", ns_owner, own, [](hub& h, request& r, const element& ps) {
    if (const element* d = ps.child("delete")) {
      const std::string owner = r.from.full.bare();
      h.db().pep_delete_node(owner, d->get("node"));
      h.db().doc_put(owner, "pep " + d->get("node"), "presence 1");
      return iq_reply::ok();
    }
    return iq_reply::error("cancel", "feature-not-implemented");
  });
  // Last items of the contacts' nodes to a newly available resource (XEP-0163 §4.3.4, without
  // +notify filtering).
  h.on_available([](hub& h, session& s) {
    for (const auto& item : h.db().roster(s.full.bare())) {
      if (!item.sub_to) continue;
      for (const auto& node : h.db().pep_nodes(item.contact)) {
        auto cfg = load_config(h, item.contact, node);
        if (cfg.access == "whitelist") continue;
        auto last = h.db().pep_items(item.contact, node, 1);
        if (last.empty()) continue;
        element m("message", std::string(ns_client));
        m.set("from", item.contact).set("to", s.full.full()).set("type", "headline");
        auto& items = m.add("event", std::string(ns_event)).add("items", std::string(ns_event));
        items.set("node", node);
        auto& it = items.add("item", std::string(ns_event));
        it.set("id", last[0].id);
        if (auto p = parse_fragment(last[0].payload)) it.add(std::move(*p));
        s.send(m);
      }
    }
  });
  for (const char* f : {"http://jabber.org/protocol/pubsub", "http://jabber.org/protocol/pubsub#publish",
                        "http://jabber.org/protocol/pubsub#publish-options", "http://jabber.org/protocol/pubsub#auto-create",
                        "http://jabber.org/protocol/pubsub#retrieve-items", "http://jabber.org/protocol/pubsub#retract-items",
                        "http://jabber.org/protocol/pubsub#delete-nodes", "http://jabber.org/protocol/pubsub#access-presence",
                        "http://jabber.org/protocol/pubsub#access-open", "http://jabber.org/protocol/pubsub#access-whitelist",
                        "http://jabber.org/protocol/pubsub#last-published", "http://jabber.org/protocol/pubsub#persistent-items"})
    h.add_feature(f, true);
}

}  // namespace hearth::xmpp::modules
