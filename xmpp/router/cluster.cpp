// Several nodes on one database (README "Several nodes"): where the sessions of other nodes
// are (the session registry), forwarding stanzas to them, and running what another node
// forwarded here. The rules themselves stay in message.cpp and presence.cpp: the node that
// first handles a stanza applies them (blocking, archiving, offline storage) over the sessions
// of every node, and the node holding a session only hands it over.
#include <algorithm>
#include <charconv>
#include <set>

#include "core/log/log.hpp"
#include "xmpp/router/handover.hpp"
#include "xmpp/router/hub.hpp"
#include "xmpp/stream/parser.hpp"

namespace hearth::xmpp {

namespace {
std::int64_t now_s() { return now_us() / 1000000; }
}  // namespace

std::vector<bound_session> hub::remote_sessions(std::string_view bare) {
  if (!clustered()) return {};
  auto r = cluster_.registry->sessions_of(bare, now_s());
  if (!r) {
    // The database is down: local sessions still work, other nodes' are unreachable anyway.
    log::warn("xmpp.cluster.error", {{"op", "sessions_of"}, {"jid", std::string(bare)}, {"error", r.error().message}});
    return {};
  }
  std::vector<bound_session> out;
  for (auto& s : *r)
    if (s.node != cluster_.node) out.push_back(std::move(s));
  return out;
}

std::optional<bound_session> hub::remote_find(std::string_view full) {
  if (!clustered()) return std::nullopt;
  auto r = cluster_.registry->find(full, now_s());
  if (!r) {
    log::warn("xmpp.cluster.error", {{"op", "find"}, {"jid", std::string(full)}, {"error", r.error().message}});
    return std::nullopt;
  }
  if (!*r || (*r)->node == cluster_.node) return std::nullopt;
  return *r;
}

std::optional<room_claim> hub::room_home(const std::string& room) {
  {
    std::lock_guard lk(homes_mu_);
    auto it = room_homes_.find(room);
    if (it != room_homes_.end()) return room_claim{it->second, false};
  }
  auto home = cluster_.registry->room_home(room, cluster_.node, now_s());
  if (!home) {
    log::warn("xmpp.cluster.error", {{"op", "room_home"}, {"jid", room}, {"error", home.error().message}});
    return std::nullopt;
  }
  {
    std::lock_guard lk(homes_mu_);
    // Bounded: past the limit the cache starts again empty (each room costs one more lookup).
    if (room_homes_.size() >= cluster_.max_room_homes) room_homes_.clear();
    room_homes_[room] = home->node;
  }
  if (home->claimed && cluster_.claimed) {
    try {
      cluster_.claimed(room);
    } catch (const std::exception& e) {
      log::warn("xmpp.cluster.error", {{"op", "claimed"}, {"jid", room}, {"error", e.what()}});
    }
  }
  return *home;
}

void hub::forget_room_home(std::string_view room, std::string_view new_home) {
  std::lock_guard lk(homes_mu_);
  if (room.empty()) {
    room_homes_.clear();
    return;
  }
  auto it = room_homes_.find(std::string(room));
  if (it == room_homes_.end()) return;
  const std::string old = it->second;
  room_homes_.erase(it);
  // The old home lost a claim, which happens only when it is gone: its other rooms are
  // being taken over too, so their stanzas must not go on to it until the next check.
  if (!new_home.empty() && old != new_home) std::erase_if(room_homes_, [&](const auto& kv) { return kv.second == old; });
}

void hub::room_homes_alive(const std::vector<std::string>& live) {
  auto is_live = [&](const std::string& node) { return std::find(live.begin(), live.end(), node) != live.end(); };
  {
    std::lock_guard lk(homes_mu_);
    std::erase_if(room_homes_, [&](const auto& kv) { return !is_live(kv.second); });
  }
  std::vector<std::pair<std::uint64_t, held_stanza>> again;
  std::vector<held_stanza> late;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lk(held_mu_);
    for (auto it = held_.begin(); it != held_.end();) {
      auto& h = it->second;
      if (!is_live(h.node)) {
        again.emplace_back(it->first, std::move(h));
      } else if (now - h.since >= cluster_.hold_for) {
        if (ackers_.count(h.node)) late.push_back(std::move(h));
      } else {
        ++it;
        continue;
      }
      held_bytes_ -= it->second.bytes;
      it = held_.erase(it);
    }
  }
  // In sending order, now that the dead homes are out of the cache: each goes to the node
  // that holds (or, asked now, takes) the room's claim, under the number the dead home saw,
  // marked as resent: that home may have handled it and died before its ack left, and the
  // new home checks the room's archive for it.
  for (auto& [seq, h] : again) {
    auto to = jid::parse(h.stanza.get("to"));
    if (!to) continue;
    log::info("xmpp.cluster.rerouted", {{"room", to->bare()}, {"node", h.node}, {"stanza", h.stanza.name}});
    to_component(std::move(h.stanza), *to, 0, held_key{std::to_string(seq) + "/" + cluster_.node, true}, seq);
  }
  for (auto& h : late) {
    log::warn("xmpp.cluster.unacknowledged", {{"to", h.stanza.get("to")}, {"node", h.node}, {"stanza", h.stanza.name}});
    bounce(h.stanza, "wait", "remote-server-timeout");
  }
}

std::size_t hub::room_homes_cached() {
  std::lock_guard lk(homes_mu_);
  return room_homes_.size();
}

std::size_t hub::held_count() {
  std::lock_guard lk(held_mu_);
  return held_.size();
}

void hub::to_room_home(const std::string& node, element stanza, int hops, std::uint64_t resend) {
  const std::size_t bytes = serialize(stanza).size();
  std::uint64_t seq = 0;
  {
    std::lock_guard lk(held_mu_);
    if (held_.size() < cluster_.max_held && held_bytes_ + bytes <= cluster_.max_held_bytes) {
      seq = resend ? resend : next_held_++;
      // Held before it is sent: the acknowledgement may come back on another thread before
      // forward() returns.
      held_.emplace(seq, held_stanza{node, stanza, std::chrono::steady_clock::now(), bytes});
      held_bytes_ += bytes;
    }
  }
  if (seq == 0) {
    log::warn("xmpp.cluster.held_full", {{"to", stanza.get("to")}, {"node", node}, {"stanza", stanza.name}});
    bounce(stanza, "wait", "resource-constraint");
    return;
  }
  // "HOPSr" for a resent one: a node of an older version reads any first field but "2" as one
  // hop, and handles it as before.
  forward(node, forward_kind::component,
          std::to_string(hops) + (resend ? "r/" : "/") + std::to_string(seq) + "/" + cluster_.node, stanza);
}

void hub::acknowledged(std::string_view arg) {
  // "SEQ/NODE"
  auto slash = arg.find('/');
  if (slash == std::string_view::npos) return;
  std::uint64_t seq = 0;
  auto digits = arg.substr(0, slash);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (ec != std::errc() || end != digits.data() + digits.size()) return;
  std::lock_guard lk(held_mu_);
  ackers_.emplace(arg.substr(slash + 1));
  auto it = held_.find(seq);
  if (it == held_.end()) return;
  held_bytes_ -= it->second.bytes;
  held_.erase(it);
}

bool hub::moved_away(session& s, const std::vector<bound_session>* remote) {
  if (!clustered() || !s.relaying()) return false;
  // The registry row moves with the new node's bind; until then this copy is the only way
  // to the client and must be kept.
  const std::string full = s.full.full();
  if (remote)
    return std::any_of(remote->begin(), remote->end(), [&](const bound_session& r) { return r.full == full; });
  return remote_find(full).has_value();
}

void hub::forward(const std::string& node, forward_kind k, std::string arg, const element& st) {
  if (!cluster_.forward) return;
  envelope e{k, arg.empty() ? std::string("-") : std::move(arg), st};
  cluster_.forward(node, e);
}

void hub::forward_to_nodes(const std::vector<bound_session>& where, forward_kind k, const std::string& arg,
                           const element& st, std::string_view skip_node) {
  std::set<std::string> nodes;
  for (const auto& s : where)
    if (s.node != skip_node) nodes.insert(s.node);
  for (const auto& n : nodes) forward(n, k, arg, st);
}

bool hub::send_to_full(std::string_view full, const element& st) {
  if (auto s = find(full)) {
    s->send(st);
    return true;
  }
  if (auto r = remote_find(full)) {
    forward(r->node, forward_kind::session, {}, st);
    return true;
  }
  return false;
}

std::vector<element> hub::available_presences(std::string_view bare, const session* except) {
  std::vector<element> out;
  const auto remote = remote_sessions(bare);
  for (const auto& c : sessions_of(bare)) {
    // A copy handed over answers from its new node's row below.
    if (c.get() == except || moved_away(*c, &remote)) continue;
    std::optional<element> p;
    {
      std::lock_guard lk(c->mu);
      if (c->available && c->presence) p = c->presence;
    }
    if (!p) continue;
    p->set("from", c->full.full());
    out.push_back(std::move(*p));
  }
  for (const auto& r : remote) {
    if (!r.available || r.presence.empty()) continue;
    auto p = parse_fragment(r.presence);
    if (!p) continue;
    p->set("from", r.full);
    out.push_back(std::move(*p));
  }
  return out;
}

void hub::registry_update(session& s) {
  if (!clustered()) return;
  int prio;
  bool avail;
  std::string pres;
  {
    std::lock_guard lk(s.mu);
    prio = s.priority;
    avail = s.available;
    if (s.presence) pres = serialize(*s.presence);
  }
  if (auto r = cluster_.registry->update(s.full.full(), cluster_.node, prio, avail, pres); !r)
    log::warn("xmpp.cluster.error", {{"op", "update"}, {"jid", s.full.full()}, {"error", r.error().message}});
}

void hub::sessions_gone(const std::vector<bound_session>& gone) {
  {
    // Their nodes are gone: the room stanzas below (the hooks seat these sessions out) must
    // find the rooms' new homes, not the cached dead ones.
    std::lock_guard lk(homes_mu_);
    std::erase_if(room_homes_, [&](const auto& kv) {
      return std::any_of(gone.begin(), gone.end(), [&](const bound_session& g) { return g.node == kv.second; });
    });
  }
  for (const auto& g : gone) {
    if (!g.available) continue;
    auto full = jid::parse(g.full);
    if (!full) continue;
    log::info("xmpp.cluster.gone", {{"jid", g.full}, {"node", g.node}});
    element p("presence", std::string(ns_client));
    p.set("from", g.full);
    p.set("type", "unavailable");
    try {
      for (const auto& c : presence_subscribers(full->bare())) {
        element copy = p;
        copy.set("to", c);
        if (auto cj = jid::parse(c)) deliver_presence(copy, *cj);
      }
    } catch (const std::exception& e) {
      log::warn("xmpp.cluster.error", {{"op", "sessions_gone"}, {"jid", g.full}, {"error", e.what()}});
    }
    element own = p;
    own.set("to", full->bare());
    deliver_presence(own, full->to_bare());
  }
  std::vector<gone_hook> hooks;
  {
    std::lock_guard lk(mu_);
    hooks = gone_hooks_;
  }
  for (const auto& h : hooks) {
    try {
      h(gone);
    } catch (const std::exception& e) {
      log::warn("xmpp.cluster.error", {{"op", "gone_hook"}, {"error", e.what()}});
    }
  }
}

void hub::handle_forwarded(envelope e) {
  element& st = e.stanza;
  auto to = jid::parse(st.get("to"));
  switch (e.kind) {
    case forward_kind::deliver: {
      if (!to) return;
      auto s = find(to->full());
      if (!s) {
        // Gone in between: the sending node already archived it; keep it for the account.
        log::info("xmpp.cluster.gone", {{"to", to->full()}, {"kind", "deliver"}});
        store_offline(st, to->to_bare());
        return;
      }
      s->send(st);
      carbon_copy_local(st, to->bare(), s.get(), false);
      return;
    }
    case forward_kind::account: {
      if (!to) return;
      int best = -1;
      try {
        best = std::stoi(e.arg);
      } catch (...) {
        return;
      }
      deliver_account_local(st, to->bare(), best);
      return;
    }
    case forward_kind::carbon_sent:
    case forward_kind::carbon_received:
      carbon_copy_local(st, e.arg, nullptr, e.kind == forward_kind::carbon_sent);
      return;
    case forward_kind::presence:
      if (to) deliver_presence_local(st, *to);
      return;
    case forward_kind::roster_push:
      roster_push_local(e.arg, st);
      return;
    case forward_kind::session:
      if (to)
        if (auto s = find(to->full())) s->send(st);
      return;
    case forward_kind::kick: {
      // The full JID is the stanza's to= ("-" as the argument); a JID as the argument is still
      // taken, so that nodes running different versions during an upgrade understand each other.
      const std::string full = e.arg != "-" ? e.arg : (to ? to->full() : std::string());
      if (auto s = find(full)) s->kick("conflict");
      return;
    }
    case forward_kind::component: {
      // "HOPS/SEQ/NODE" (envelope.hpp), "HOPSr/..." when resent; a bare "HOPS", or "-" from a
      // node that sent it straight on, asks for no acknowledgement.
      std::string_view arg = e.arg;
      const auto slash = arg.find('/');
      std::string_view first = arg.substr(0, slash);
      held_key key;
      if (!first.empty() && first.back() == 'r') {
        key.resent = true;
        first.remove_suffix(1);
      }
      const int hops = first == "2" ? 2 : 1;
      if (slash != std::string_view::npos) key.key = std::string(arg.substr(slash + 1));
      const bool ack = !cluster_.acknowledge || cluster_.acknowledge(st);
      if (to) to_component(std::move(st), *to, hops, key);
      // Handled (or sent on, and held here in turn): the sender may forget it.
      if (slash != std::string_view::npos && ack) {
        auto rest = arg.substr(slash + 1);
        auto second = rest.find('/');
        if (second != std::string_view::npos && second + 1 < rest.size())
          forward(std::string(rest.substr(second + 1)), forward_kind::ack,
                  std::string(rest.substr(0, second)) + "/" + cluster_.node, element("ack", std::string(ns_client)));
      }
      return;
    }
    case forward_kind::ack:
      acknowledged(e.arg);
      return;
    case forward_kind::from_component:
      if (to) from_component_local(std::move(st), *to);
      return;
    case forward_kind::resume_request:
    case forward_kind::handover: {
      handover_handler h;
      {
        std::lock_guard lk(mu_);
        h = handover_;
      }
      if (h) {
        h(std::move(e));
        return;
      }
      // No c2s service here (yet): this node holds no resumable session.
      if (e.kind == forward_kind::resume_request)
        if (auto req = decode_handover_request(st))
          forward(req->node, forward_kind::handover, e.arg, encode_handover_failed(req->ask, "item-not-found"));
      return;
    }
  }
}

void hub::forward_envelope(const std::string& node, const envelope& e) {
  if (cluster_.forward) cluster_.forward(node, e);
}

bool hub::adopt(const std::shared_ptr<session>& s) {
  if (!bind(s)) return false;
  registry_update(*s);
  return true;
}

void hub::handed_over(session& s) {
  if (!remove_session(s)) return;
  log::info("xmpp.cluster.handed_over", {{"jid", s.full.full()}});
}

}  // namespace hearth::xmpp
