// Message routing (RFC 6121 §8), offline storage (XEP-0160), carbons (XEP-0280) and the
// archive hook (XEP-0313).
#include <algorithm>

#include "core/log/log.hpp"
#include "xmpp/router/hub.hpp"
#include "xmpp/stream/parser.hpp"

namespace hearth::xmpp {

namespace {

bool is_chat_like(const std::string& type) { return type.empty() || type == "normal" || type == "chat"; }

// XEP-0280 §6 / XEP-0334: messages that are not copied.
bool carbons_eligible(const element& msg) {
  const std::string type = msg.get("type");
  if (type != "chat" && !(type.empty() || type == "normal")) return false;
  if (msg.child("private", ns_carbons) || msg.child("no-copy", ns_hints)) return false;
  if (type != "chat" && !msg.child("body")) return false;
  return true;
}

element wrap_carbon(const element& msg, std::string_view owner, const std::string& to_full, bool sent) {
  element w("message", std::string(ns_client));
  w.set("from", owner);
  w.set("to", to_full);
  w.set("type", msg.get("type").empty() ? "normal" : msg.get("type"));
  auto& c = w.add(sent ? "sent" : "received", std::string(ns_carbons));
  c.add("forwarded", std::string(ns_forward)).add(msg);
  return w;
}

}  // namespace

void hub::carbon_copy(const element& msg, std::string_view owner, const session* except, bool sent) {
  if (!clustered()) {
    carbon_copy_local(msg, owner, except, sent);
    return;
  }
  if (!carbons_eligible(msg)) return;
  // XEP-0280 with resources on other nodes: each node copies to its own.
  const auto remote = remote_sessions(owner);
  carbon_copy_local(msg, owner, except, sent, &remote);
  forward_to_nodes(remote, sent ? forward_kind::carbon_sent : forward_kind::carbon_received, std::string(owner), msg);
}

void hub::carbon_copy_local(const element& msg, std::string_view owner, const session* except, bool sent,
                            const std::vector<bound_session>* remote) {
  if (!carbons_eligible(msg)) return;
  for (const auto& s : sessions_of(owner)) {
    if (s.get() == except || moved_away(*s, remote)) continue;
    bool on;
    {
      std::lock_guard lk(s->mu);
      on = s->carbons && s->available;
    }
    if (!on) continue;
    // A message already delivered to this resource itself is not copied to it.
    if (!sent && msg.get("to") == s->full.full()) continue;
    s->send(wrap_carbon(msg, owner, s->full.full(), sent));
  }
}

void hub::handle_message(request& r) {
  element& msg = r.stanza;
  const std::string own = r.from.full.bare();
  if (!msg.attr("to")) {
    // RFC 6121 §8.1.1.1: no to= means the account's bare JID.
    r.to = r.from.full.to_bare();
    msg.set("to", own);
  }
  if (is_blocked(own, r.to.bare())) {
    // XEP-0191 §3.4: outbound to a blocked JID is refused with <blocked/>.
    auto err = make_error(msg, "cancel", "not-acceptable");
    err.child("error")->add("blocked", "urn:xmpp:blocking:errors");
    r.from.send(err);
    return;
  }
  if (is_component(r.to.domain)) {
    // XEP-0280 §6: a chat message to a component's JID (a MUC private message included) is
    // copied to the other resources; carbons_eligible() leaves groupchat out.
    carbon_copy(msg, own, &r.from, true);
    to_component(msg, r.to);
    return;
  }
  if (!is_local_domain(r.to.domain)) {
    if (!remote_) {
      bounce(msg, "cancel", "remote-server-not-found");
      return;
    }
    // Federation: archive and carbons here, delivery by the remote server.
    if (is_chat_like(msg.get("type")) && msg.child("body")) {
      for (auto& h : message_hooks_) h(*this, own, msg, true);
    }
    carbon_copy(msg, own, &r.from, true);
    remote_(msg);
    return;
  }
  if (r.to.local.empty()) return;  // to the server itself: nothing to do with a message
  // Sender side: archive and carbons of the sending account.
  if (is_chat_like(msg.get("type")) && msg.child("body")) {
    for (auto& h : message_hooks_) h(*this, own, msg, true);
  }
  carbon_copy(msg, own, &r.from, true);
  deliver_message(msg, r.to, true);
}

void hub::deliver_message(element msg, const jid& to, bool from_local_account) {
  (void)from_local_account;
  const std::string type = msg.get("type");
  const std::string bare = to.bare();
  auto from = jid::parse(msg.get("from"));
  if (from && is_blocked(bare, from->bare())) {
    // XEP-0191 §3.3: the blocked sender gets service-unavailable.
    bounce(msg, "cancel", "service-unavailable");
    return;
  }
  if (!account_exists(bare)) {
    // RFC 6121 §8.5.1: no such account.
    bounce(msg, "cancel", "service-unavailable");
    return;
  }
  auto sessions = sessions_of(bare);
  // Receiver side: archive (the hook adds the stanza-id) before anything is sent.
  if (is_chat_like(type) && msg.child("body")) {
    for (auto& h : message_hooks_) h(*this, bare, msg, false);
  }
  if (!to.resource.empty()) {
    auto it = std::find_if(sessions.begin(), sessions.end(), [&](const auto& s) { return s->full.resource == to.resource; });
    if (it != sessions.end()) {
      (*it)->send(msg);
      carbon_copy(msg, bare, it->get(), false);
      return;
    }
    if (auto r = remote_find(to.full())) {
      // Bound on another node: it delivers and copies to its own resources, we and the
      // others copy to theirs.
      forward(r->node, forward_kind::deliver, {}, msg);
      carbon_copy_local(msg, bare, nullptr, false);
      if (carbons_eligible(msg))
        forward_to_nodes(remote_sessions(bare), forward_kind::carbon_received, bare, msg, r->node);
      return;
    }
    // RFC 6121 §8.5.3.2.1: no such resource; chat and normal go to the bare JID.
    if (!is_chat_like(type)) {
      if (type == "groupchat") bounce(msg, "cancel", "service-unavailable");
      return;
    }
  }
  // RFC 6121 §8.5.2.1.1: to the available resources with the highest non-negative priority,
  // on whichever node they are.
  const auto remote = remote_sessions(bare);
  int best = -1;
  for (const auto& s : sessions) {
    std::lock_guard lk(s->mu);
    if (s->available && s->priority >= 0) best = std::max(best, s->priority);
  }
  for (const auto& r : remote)
    if (r.available && r.priority >= 0) best = std::max(best, r.priority);
  bool remote_target = false;
  for (const auto& r : remote)
    if (r.available && r.priority >= 0 && (r.priority == best || type == "headline")) remote_target = true;
  bool local_target = deliver_account_local(msg, bare, best, &remote);
  if (local_target || remote_target) {
    // Every node with a resource of the account: the targets there get the message, the
    // others a carbon.
    forward_to_nodes(remote, forward_kind::account, std::to_string(best), msg);
    return;
  }
  if (type == "groupchat") {
    bounce(msg, "cancel", "service-unavailable");
    return;
  }
  if (type == "headline" || type == "error") return;
  store_offline(msg, to);
}

void hub::store_offline(const element& msg, const jid& to) {
  const std::string bare = to.bare();
  // RFC 6121 §8.5.2.2 / XEP-0160: store for later, with a delay stamp.
  if (!msg.child("body") && !msg.child("subject")) return;  // chat states etc. are not stored
  if (msg.child("no-store", ns_hints)) return;
  element stored = msg;
  auto& d = stored.add("delay", std::string(ns_delay));
  d.set("from", to.domain);
  d.set("stamp", xep82_stamp(now_us()));
  bool ok = false;
  try {
    ok = store_.offline_push(bare, serialize(stored), opts_.offline_limit);
  } catch (const std::exception& e) {
    log::error("xmpp.offline.error", {{"to", bare}, {"error", e.what()}});
    bounce(msg, "wait", "internal-server-error");
    return;
  }
  if (!ok) {
    // Abuse limit: the queue is full.
    bounce(msg, "wait", "resource-constraint");
    return;
  }
  log::debug("xmpp.offline", {{"to", bare}});
  std::size_t waiting = 1;
  try {
    waiting = store_.offline_count(bare);
  } catch (const std::exception&) {
  }
  message_waiting(bare, msg, waiting);
}

bool hub::deliver_account_local(const element& msg, const std::string& bare, int best,
                                const std::vector<bound_session>* remote) {
  const std::string type = msg.get("type");
  auto sessions = sessions_of(bare);
  std::erase_if(sessions, [&](const auto& s) { return moved_away(*s, remote); });
  std::vector<session*> targets;
  for (const auto& s : sessions) {
    std::lock_guard lk(s->mu);
    if (s->available && s->priority == best && best >= 0) targets.push_back(s.get());
  }
  if (type == "headline") {
    for (const auto& s : sessions) {
      std::lock_guard lk(s->mu);
      if (s->available && s->priority >= 0) targets.push_back(s.get());
    }
    std::sort(targets.begin(), targets.end());
    targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  }
  for (auto* s : targets) {
    element copy = msg;
    s->send(copy);
  }
  if (type == "chat" && best >= 0) {
    // Resources that did not get it directly get a carbon (XEP-0280 §5.3), on a node
    // without a target too (another node has one: best >= 0).
    for (const auto& s : sessions) {
      if (std::find(targets.begin(), targets.end(), s.get()) != targets.end()) continue;
      bool on;
      {
        std::lock_guard lk(s->mu);
        on = s->carbons && s->available;
      }
      if (on && carbons_eligible(msg)) s->send(wrap_carbon(msg, bare, s->full.full(), false));
    }
  }
  return !targets.empty();
}

void hub::message_waiting(const std::string& owner, const element& msg, std::size_t count) {
  for (const auto& h : waiting_hooks_) {
    try {
      h(*this, owner, msg, count);
    } catch (const std::exception& e) {
      log::error("xmpp.waiting_hook.error", {{"owner", owner}, {"error", e.what()}});
    }
  }
}

void hub::deliver_offline(session& s) {
  std::vector<std::string> queued;
  try {
    queued = store_.offline_pop(s.full.bare());
  } catch (const std::exception& e) {
    log::error("xmpp.offline.error", {{"to", s.full.bare()}, {"error", e.what()}});
    return;
  }
  if (queued.empty()) return;
  // Stored stanzas are our own serialization: parse them back cheaply.
  for (const auto& q : queued)
    if (auto e = parse_fragment(q)) s.send(*e);
}

}  // namespace hearth::xmpp
