// The roster (RFC 6121 §2) with versioning (XEP-0237, RFC 6121 §2.6).
#include "core/log/log.hpp"
#include "xmpp/router/internal.hpp"

namespace hearth::xmpp {

namespace {
constexpr std::size_t max_groups = 32;
constexpr std::size_t max_name = 1024;
}  // namespace

element hub::roster_item_xml(const roster_item& it, bool removed) const {
  element e("item", std::string(ns_roster));
  e.set("jid", it.contact);
  if (removed) {
    e.set("subscription", "remove");
    return e;
  }
  if (!it.name.empty()) e.set("name", it.name);
  e.set("subscription", it.subscription());
  if (it.ask_out) e.set("ask", "subscribe");
  if (it.approved) e.set("approved", "true");
  for (const auto& g : it.groups) e.add("group", std::string(ns_roster)).add_text(g);
  return e;
}

void hub::roster_push(std::string_view owner, const roster_item& item, std::int64_t ver, bool removed) {
  element iq("iq", std::string(ns_client));
  iq.set("type", "set");
  iq.set("id", "push" + log::new_id());
  auto& q = iq.add("query", std::string(ns_roster));
  q.set("ver", std::to_string(ver));
  q.add(roster_item_xml(item, removed));
  const auto remote = remote_sessions(owner);
  roster_push_local(owner, iq, clustered() ? &remote : nullptr);
  forward_to_nodes(remote, forward_kind::roster_push, std::string(owner), iq);
}

void hub::roster_push_local(std::string_view owner, const element& iq, const std::vector<bound_session>* remote) {
  // RFC 6121 §2.1.6: to every interested resource.
  for (const auto& s : sessions_of(owner)) {
    if (moved_away(*s, remote)) continue;
    {
      std::lock_guard lk(s->mu);
      if (!s->interested) continue;
    }
    element copy = iq;
    copy.set("to", s->full.full());
    s->send(copy);
  }
}

iq_reply roster_get(hub& h, request& r, const element& query) {
  const std::string own = r.from.full.bare();
  {
    std::lock_guard lk(r.from.mu);
    r.from.interested = true;
  }
  auto ver = h.db().roster_version(own);
  // RFC 6121 §2.6.3: an unchanged version gets an empty result; pushes follow.
  if (auto asked = query.attr("ver"); asked && *asked == std::to_string(ver) && ver != 0) return iq_reply::ok();
  element q("query", std::string(ns_roster));
  q.set("ver", std::to_string(ver));
  for (const auto& it : h.db().roster(own))
    if (it.in_roster) q.add(h.roster_item_xml(it));
  return iq_reply::ok(std::move(q));
}

iq_reply roster_set(hub& h, request& r, const element& query) {
  const std::string own = r.from.full.bare();
  // RFC 6121 §2.3.3: exactly one item.
  const element* item = nullptr;
  int n = 0;
  for (const auto& c : query.children)
    if (!c.is_text() && c.name == "item") {
      item = &c;
      ++n;
    }
  if (n != 1) return iq_reply::error("modify", "bad-request");
  auto j = jid::parse(item->get("jid"));
  if (!j || !j->resource.empty()) return iq_reply::error("modify", "bad-request");
  const std::string contact = j->bare();
  if (contact == own) return iq_reply::error("cancel", "not-allowed");
  if (item->get("subscription") == "remove") {
    auto cur = h.db().roster_get(own, contact);
    if (!cur) return iq_reply::error("cancel", "item-not-found");
    // RFC 6121 §2.5.2: cancel both directions, then remove.
    if (cur->sub_to || cur->ask_out) {
      element p("presence", std::string(ns_client));
      p.set("type", "unsubscribe");
      p.set("to", contact);
      p.set("from", own);
      request sub{r.from, p, *j};
      h.handle(sub);
    }
    if (cur->sub_from || cur->pending_in) {
      element p("presence", std::string(ns_client));
      p.set("type", "unsubscribed");
      p.set("to", contact);
      p.set("from", own);
      request sub{r.from, p, *j};
      h.handle(sub);
    }
    auto ver = h.db().roster_remove(own, contact);
    h.roster_push(own, *cur, ver, true);
    return iq_reply::ok();
  }
  auto cur = h.db().roster_get(own, contact).value_or(roster_item::for_contact(contact, true));
  cur.in_roster = true;
  cur.name = item->get("name");
  if (cur.name.size() > max_name) return iq_reply::error("modify", "not-acceptable");
  cur.groups.clear();
  for (const auto& g : item->children)
    if (!g.is_text() && g.name == "group") {
      std::string name = g.body();
      // RFC 6121 §2.1.2.1: empty group names are not-acceptable.
      if (name.empty() || name.size() > max_name) return iq_reply::error("modify", "not-acceptable");
      cur.groups.push_back(std::move(name));
    }
  if (cur.groups.size() > max_groups) return iq_reply::error("modify", "policy-violation");
  auto ver = h.db().roster_put(own, cur);
  h.roster_push(own, cur, ver);
  return iq_reply::ok();
}

}  // namespace hearth::xmpp
