// Presence (RFC 6121 §4) and the subscription state machine (RFC 6121 §3 and Appendix A).
#include <algorithm>

#include "core/log/log.hpp"
#include "xmpp/router/hub.hpp"

namespace hearth::xmpp {

std::vector<std::string> hub::presence_subscribers(std::string_view owner) {
  std::vector<std::string> out;
  for (const auto& it : store_.roster(owner))
    if (it.sub_from) out.push_back(it.contact);
  return out;
}

void hub::deliver_presence(const element& p, const jid& to) {
  if (is_component(to.domain)) {
    element copy = p;
    if (!copy.attr("to")) copy.set("to", to.full());
    to_component(std::move(copy), to);
    return;
  }
  if (!is_local_domain(to.domain)) {
    if (!remote_) return;
    element copy = p;
    if (!copy.attr("to")) copy.set("to", to.full());
    remote_(std::move(copy));
    return;
  }
  auto from = jid::parse(p.get("from"));
  // XEP-0191 §3.3: presence from a blocked JID is dropped silently.
  if (from && is_blocked(to.bare(), from->bare())) return;
  if (!clustered()) {
    deliver_presence_local(p, to);
    return;
  }
  auto remote = remote_sessions(to.bare());
  deliver_presence_local(p, to, &remote);
  std::vector<bound_session> where;
  for (auto& r : remote)
    if ((to.resource.empty() && r.available) || r.full == to.full()) where.push_back(std::move(r));
  element copy = p;
  if (!copy.attr("to")) copy.set("to", to.full());
  forward_to_nodes(where, forward_kind::presence, {}, copy);
}

void hub::deliver_presence_local(const element& p, const jid& to, const std::vector<bound_session>* remote) {
  for (const auto& s : sessions_of(to.bare())) {
    if (!to.resource.empty() && s->full.resource != to.resource) continue;
    if (moved_away(*s, remote)) continue;
    bool avail;
    {
      std::lock_guard lk(s->mu);
      avail = s->available;
    }
    // RFC 6121 §4.3.2/§4.4.2: presence goes to available resources only.
    if (avail || !to.resource.empty()) s->send(p);
  }
}

void hub::broadcast_presence(session& s, const element& p) {
  const std::string own = s.full.bare();
  std::set<std::string> directed;
  {
    std::lock_guard lk(s.mu);
    if (p.get("type") == "unavailable") directed.swap(s.directed);
  }
  // RFC 6121 §4.2.2: to the contacts subscribed to the user, and the user's other resources.
  for (const auto& c : presence_subscribers(own)) {
    element copy = p;
    copy.set("to", c);
    deliver_presence(copy, *jid::parse(c));
  }
  const auto remote = remote_sessions(own);
  for (const auto& other : sessions_of(own)) {
    if (other.get() == &s || moved_away(*other, &remote)) continue;
    element copy = p;
    copy.set("to", other->full.full());
    bool avail;
    {
      std::lock_guard lk(other->mu);
      avail = other->available;
    }
    if (avail) other->send(copy);
  }
  for (const auto& other : remote) {
    if (!other.available) continue;
    element copy = p;
    copy.set("to", other.full);
    forward(other.node, forward_kind::presence, {}, copy);
  }
  // RFC 6121 §4.6.3: unavailable also goes to those who got directed presence.
  for (const auto& d : directed) {
    element copy = p;
    copy.set("to", d);
    if (auto j = jid::parse(d)) deliver_presence(copy, *j);
  }
}

void hub::send_probe_answers(session& s) {
  // RFC 6121 §4.3: the server probes the contacts the user is subscribed to; local contacts
  // are answered at once with each available resource's last presence.
  for (const auto& item : store_.roster(s.full.bare())) {
    if (!item.sub_to) continue;
    if (is_blocked(s.full.bare(), item.contact)) continue;
    if (auto cj = jid::parse(item.contact); remote_ && cj && !is_local_domain(cj->domain)) {
      // RFC 6121 §4.3.1: a remote contact's server answers a probe.
      element probe("presence", std::string(ns_client));
      probe.set("from", s.full.bare());
      probe.set("to", item.contact);
      probe.set("type", "probe");
      remote_(std::move(probe));
      continue;
    }
    for (auto& p : available_presences(item.contact)) {
      p.set("to", s.full.full());
      s.send(p);
    }
  }
  // The user's own other resources too (RFC 6121 §4.2.2 last paragraph).
  for (auto& p : available_presences(s.full.bare(), &s)) {
    p.set("to", s.full.full());
    s.send(p);
  }
}

void hub::handle_presence(request& r) {
  element& p = r.stanza;
  const std::string type = p.get("type");
  session& s = r.from;
  if (p.attr("to") && is_component(r.to.domain) && type != "" && type != "unavailable") {
    // Subscriptions and errors to a room are the room's business, not the roster's.
    to_component(p, r.to);
    return;
  }
  if (type == "subscribe" || type == "subscribed" || type == "unsubscribe" || type == "unsubscribed") {
    if (!p.attr("to")) return;
    presence_subscription(r, type);
    return;
  }
  if (type == "probe" || type == "error") return;  // RFC 6121 §4.3: probes come from servers
  if (!type.empty() && type != "unavailable") {
    s.send(make_error(p, "modify", "bad-request"));
    return;
  }
  if (p.attr("to")) {
    // Directed presence (RFC 6121 §4.6).
    if (r.to.bare() == s.full.bare() && r.to.resource.empty()) return;
    {
      std::lock_guard lk(s.mu);
      if (type.empty()) s.directed.insert(r.to.full());
      else s.directed.erase(r.to.full());
    }
    deliver_presence(p, r.to);
    return;
  }
  bool initial = false;
  {
    std::lock_guard lk(s.mu);
    if (type.empty()) {
      initial = !s.available;
      s.available = true;
      const element* pr = p.child("priority");
      int prio = 0;
      if (pr) {
        try {
          prio = std::clamp(std::stoi(pr->body()), -128, 127);
        } catch (...) {
          prio = 0;
        }
      }
      s.priority = prio;
      element stored = p;
      stored.remove_attr("to");
      s.presence = stored;
    } else {
      s.available = false;
      s.presence.reset();
    }
  }
  registry_update(s);
  broadcast_presence(s, p);
  if (initial) {
    send_probe_answers(s);
    // Subscription requests that arrived while the user was offline (RFC 6121 §3.1.3).
    for (const auto& item : store_.roster(s.full.bare())) {
      if (!item.pending_in) continue;
      element req("presence", std::string(ns_client));
      req.set("from", item.contact);
      req.set("to", s.full.bare());
      req.set("type", "subscribe");
      s.send(req);
    }
    deliver_offline(s);
    for (auto& h : available_hooks_) h(*this, s);
  }
}

// Outbound subscription stanzas from the user (RFC 6121 §3.1.2, §3.2.2, §3.3.2, §3.4).
void hub::presence_subscription(request& r, const std::string& type) {
  std::lock_guard sub_lock(subscription_mu_);
  const std::string own = r.from.full.bare();
  const std::string contact = r.to.bare();
  if (contact == own) return;
  auto item = store_.roster_get(own, contact).value_or(roster_item::for_contact(contact, false));
  bool changed = false;
  bool forward = true;
  if (type == "subscribe") {
    if (!item.sub_to && !item.ask_out) {
      item.ask_out = true;
      item.in_roster = true;
      changed = true;
    }
  } else if (type == "subscribed") {
    if (item.pending_in) {
      item.pending_in = false;
      item.sub_from = true;
      item.in_roster = true;
      changed = true;
    } else if (!item.sub_from && !item.approved) {
      // RFC 6121 §3.4: pre-approval.
      item.approved = true;
      item.in_roster = true;
      changed = true;
      forward = false;
    } else {
      forward = false;
    }
  } else if (type == "unsubscribe") {
    if (item.sub_to || item.ask_out) {
      item.sub_to = false;
      item.ask_out = false;
      changed = true;
    }
  } else if (type == "unsubscribed") {
    if (item.sub_from || item.pending_in || item.approved) {
      bool had_from = item.sub_from;
      item.sub_from = item.pending_in = item.approved = false;
      changed = true;
      if (had_from) {
        // RFC 6121 §3.2.2: the contact gets unavailable presence from the user's resources.
        for (const auto& s : sessions_of(own)) {
          element un("presence", std::string(ns_client));
          un.set("from", s->full.full());
          un.set("to", contact);
          un.set("type", "unavailable");
          deliver_presence(un, r.to.to_bare());
        }
      }
    }
  }
  if (changed) {
    std::int64_t ver = item.in_roster || item.sub_to || item.sub_from ? store_.roster_put(own, item) : store_.roster_remove(own, contact);
    if (item.in_roster) roster_push(own, item, ver);
  }
  if (!forward) return;
  // RFC 6121 §3.1.2: the server stamps the bare JID and forwards.
  if (!is_local_domain(r.to.domain) && !remote_) return;
  inbound_subscription(type, r.from.full.to_bare(), contact);
  if (type == "subscribed" && changed) {
    // RFC 6121 §3.1.5: the new subscriber gets the user's current presence.
    for (auto& p : available_presences(own)) {
      p.set("to", contact);
      deliver_presence(p, r.to.to_bare());
    }
  }
}

// Inbound processing at the contact's side (RFC 6121 §3.1.3, §3.1.6, §3.2.3, §3.3.3).
void hub::inbound_subscription(const std::string& type, const jid& from, const std::string& contact) {
  std::lock_guard sub_lock(subscription_mu_);
  if (auto cj = jid::parse(contact); cj && !is_local_domain(cj->domain)) {
    // The contact is on another server (RFC 6121 §3.1.2): it does the inbound processing.
    if (!remote_) return;
    element p("presence", std::string(ns_client));
    p.set("from", from.bare());
    p.set("to", contact);
    p.set("type", type);
    remote_(std::move(p));
    return;
  }
  if (!account_exists(contact)) return;
  if (is_blocked(contact, from.bare())) return;
  const std::string user = from.bare();
  auto item = store_.roster_get(contact, user).value_or(roster_item::for_contact(user, false));
  element p("presence", std::string(ns_client));
  p.set("from", user);
  p.set("to", contact);
  p.set("type", type);
  bool changed = false, deliver = false;
  if (type == "subscribe") {
    if (item.sub_from) {
      // Already subscribed: answer for the contact.
      inbound_subscription("subscribed", *jid::parse(contact), user);
      return;
    }
    if (item.approved) {
      item.approved = false;
      item.sub_from = true;
      changed = true;
      inbound_subscription("subscribed", *jid::parse(contact), user);
      // and the contact's presence
      for (auto& pr : available_presences(contact)) {
        pr.set("to", user);
        deliver_presence(pr, from.to_bare());
      }
    } else {
      if (!item.pending_in) {
        item.pending_in = true;
        changed = true;
      }
      deliver = true;
    }
  } else if (type == "subscribed") {
    if (item.ask_out) {
      item.ask_out = false;
      item.sub_to = true;
      item.in_roster = true;
      changed = true;
      deliver = true;
    }
  } else if (type == "unsubscribe") {
    if (item.sub_from || item.pending_in) {
      bool had_from = item.sub_from;
      item.sub_from = item.pending_in = false;
      changed = true;
      deliver = true;
      // RFC 6121 §3.3.3: the user gets unavailable presence from the contact's resources.
      for (const auto& s : had_from ? sessions_of(contact) : std::vector<std::shared_ptr<session>>{}) {
        element un("presence", std::string(ns_client));
        un.set("from", s->full.full());
        un.set("to", user);
        un.set("type", "unavailable");
        deliver_presence(un, from.to_bare());
      }
    }
  } else if (type == "unsubscribed") {
    if (item.sub_to || item.ask_out) {
      item.sub_to = item.ask_out = false;
      changed = true;
      deliver = true;
    }
  }
  if (changed) {
    std::int64_t ver;
    if (!item.in_roster && !item.pending_in && !item.sub_from && !item.sub_to) ver = store_.roster_remove(contact, user);
    else ver = store_.roster_put(contact, item);
    if (item.in_roster) roster_push(contact, item, ver);
  }
  if (deliver) {
    auto remote = remote_sessions(contact);
    deliver_presence_local(p, *jid::parse(contact), clustered() ? &remote : nullptr);
    std::vector<bound_session> where;
    for (auto& r : remote)
      if (r.available) where.push_back(std::move(r));
    forward_to_nodes(where, forward_kind::presence, {}, p);
  }
}

}  // namespace hearth::xmpp
