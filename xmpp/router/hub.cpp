// Sessions, the iq dispatch table and stanza helpers. Messages: message.cpp; presence and
// subscriptions: presence.cpp; the roster: roster.cpp.
#include "xmpp/router/hub.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "core/log/log.hpp"
#include "directory/directory.hpp"
#include "xmpp/router/internal.hpp"

namespace hearth::xmpp {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string xep82_stamp(std::int64_t us) {
  std::time_t t = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(((us % 1000000) + 1000000) % 1000000));
  return buf;
}

element make_error(const element& stanza, std::string_view type, std::string_view condition, std::string_view text) {
  element e(stanza.name, stanza.ns);
  // RFC 6120 §8.3.1: the error stanza has the same kind, id, and swapped addresses.
  if (auto id = stanza.attr("id")) e.set("id", *id);
  if (auto f = stanza.attr("from")) e.set("to", *f);
  if (auto t = stanza.attr("to")) e.set("from", *t);
  e.set("type", "error");
  auto& err = e.add("error", stanza.ns);
  err.set("type", type);
  err.add(std::string(condition), std::string(ns_stanzas));
  if (!text.empty()) err.add("text", std::string(ns_stanzas)).add_text(std::string(text));
  return e;
}

element make_iq_result(const element& iq, std::optional<element> payload) {
  element e("iq", iq.ns);
  if (auto id = iq.attr("id")) e.set("id", *id);
  if (auto f = iq.attr("from")) e.set("to", *f);
  if (auto t = iq.attr("to")) e.set("from", *t);
  e.set("type", "result");
  if (payload) e.add(std::move(*payload));
  return e;
}

hub::hub(hub_options opts, store& st, directory::directory& dir) : opts_(std::move(opts)), store_(st), dir_(dir) {
  next_held_ = static_cast<std::uint64_t>(now_us());
  // RFC 6121 core features live here; everything else registers from xmpp/modules/.
  on_iq("get", ns_roster, static_cast<int>(target::own_account), [](hub& h, request& r, const element& q) {
    return roster_get(h, r, q);
  });
  on_iq("set", ns_roster, static_cast<int>(target::own_account), [](hub& h, request& r, const element& q) {
    return roster_set(h, r, q);
  });
  add_feature("urn:xmpp:features:rosterver");
}

bool hub::is_local_domain(std::string_view domain) { return dir_.is_local_domain(domain); }

bool hub::account_exists(std::string_view bare) { return dir_.find_account(bare).has_value(); }

void hub::on_iq(std::string_view type, std::string_view ns, int targets, iq_handler h) {
  iq_handlers_[std::string(type) + " " + std::string(ns)] = {targets, std::move(h)};
}

void hub::add_feature(std::string feature, bool account) {
  auto& v = account ? account_features_ : server_features_;
  if (std::find(v.begin(), v.end(), feature) == v.end()) v.push_back(std::move(feature));
}

bool hub::bind(const std::shared_ptr<session>& s) {
  std::shared_ptr<session> old;
  // The account's resources on the other nodes count towards its limit too (not the one being
  // taken over, which goes).
  std::size_t elsewhere = 0;
  for (const auto& r : remote_sessions(s->full.bare()))
    if (r.full != s->full.full()) ++elsewhere;
  {
    std::lock_guard lk(mu_);
    auto& list = sessions_[s->full.bare()];
    auto it = std::find_if(list.begin(), list.end(), [&](const auto& x) { return x->full.resource == s->full.resource; });
    if (it != list.end()) {
      old = *it;
      list.erase(it);
    } else if (list.size() + elsewhere >= opts_.max_resources) {
      if (list.empty()) sessions_.erase(s->full.bare());
      return false;
    }
    list.push_back(s);
  }
  if (old) old->kick("conflict");
  if (clustered()) {
    // RFC 6120 §7.7.2.2 across nodes: the same full JID bound on another node is taken over.
    // The JID goes in the stanza's to=, not in the envelope's argument: a resource may hold
    // spaces (RFC 7622 §3.4), which the argument cannot.
    if (auto other = remote_find(s->full.full())) {
      element who("iq", std::string(ns_client));
      who.set("to", s->full.full());
      forward(other->node, forward_kind::kick, {}, who);
    }
    if (auto r = cluster_.registry->bind(s->full.full(), cluster_.node); !r)
      log::warn("xmpp.cluster.error", {{"op", "bind"}, {"jid", s->full.full()}, {"error", r.error().message}});
  }
  return true;
}

bool hub::remove_session(session& s) {
  {
    std::lock_guard lk(mu_);
    auto it = sessions_.find(s.full.bare());
    if (it == sessions_.end()) return false;
    auto& list = it->second;
    auto at = std::find_if(list.begin(), list.end(), [&](const auto& x) { return x.get() == &s; });
    if (at == list.end()) return false;  // replaced by a newer session with the same resource
    list.erase(at);
    if (list.empty()) sessions_.erase(it);
  }
  if (clustered()) {
    if (auto r = cluster_.registry->unbind(s.full.full(), cluster_.node); !r)
      log::warn("xmpp.cluster.error", {{"op", "unbind"}, {"jid", s.full.full()}, {"error", r.error().message}});
  }
  return true;
}

void hub::unbind(session& s) {
  bool was_available = false;
  if (!remove_session(s)) return;
  {
    std::lock_guard lk(s.mu);
    was_available = s.available;
    s.available = false;
  }
  if (was_available) {
    // RFC 6121 §4.5.2: the server broadcasts unavailable presence when the session ends.
    element p("presence", std::string(ns_client));
    p.set("from", s.full.full());
    p.set("type", "unavailable");
    broadcast_presence(s, p);
    // XEP-0012: last activity of the account is the time its last session ended.
    try {
      store_.doc_put(s.full.bare(), "last", std::to_string(now_us() / 1000000));
    } catch (const std::exception& e) {
      log::warn("xmpp.last", {{"error", e.what()}});
    }
  }
}

std::vector<std::shared_ptr<session>> hub::sessions_of(std::string_view bare) {
  std::lock_guard lk(mu_);
  auto it = sessions_.find(std::string(bare));
  if (it == sessions_.end()) return {};
  return it->second;
}

std::shared_ptr<session> hub::find(std::string_view full) {
  auto j = jid::parse(full);
  if (!j) return nullptr;
  std::lock_guard lk(mu_);
  auto it = sessions_.find(j->bare());
  if (it == sessions_.end()) return nullptr;
  for (const auto& s : it->second)
    if (s->full.resource == j->resource) return s;
  return nullptr;
}

std::size_t hub::session_count() {
  std::lock_guard lk(mu_);
  std::size_t n = 0;
  for (const auto& [k, v] : sessions_) n += v.size();
  return n;
}

void hub::send_to_account(std::string_view bare, const element& stanza) {
  for (const auto& s : sessions_of(bare)) s->send(stanza);
}

bool hub::is_blocked(std::string_view owner, std::string_view j) {
  auto pj = jid::parse(j);
  if (!pj) return false;
  std::unique_lock lk(mu_);
  auto it = blocked_.find(std::string(owner));
  if (it == blocked_.end()) {
    lk.unlock();
    auto list = store_.blocked(owner);
    lk.lock();
    it = blocked_.insert_or_assign(std::string(owner), std::set<std::string>(list.begin(), list.end())).first;
  }
  const auto& set = it->second;
  // XEP-0191 §3.3 with XEP-0016 matching: a full JID, a bare JID or a domain.
  return set.count(pj->full()) || set.count(pj->bare()) || set.count(pj->domain);
}

void hub::invalidate_blocklist(std::string_view owner) {
  std::lock_guard lk(mu_);
  blocked_.erase(std::string(owner));
}

void hub::add_component(std::string domain, std::string name, component_handler f, bool per_room,
                        claim_handler on_claim) {
  add_component(
      std::move(domain), std::move(name),
      keyed_component_handler([f = std::move(f)](element st, const held_key&) { f(std::move(st)); }), per_room,
      std::move(on_claim));
}

void hub::add_component(std::string domain, std::string name, keyed_component_handler f, bool per_room,
                        claim_handler on_claim) {
  components_[std::move(domain)] = component{std::move(name), std::move(f), per_room, std::move(on_claim)};
}

std::vector<std::pair<std::string, std::string>> hub::component_items() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [d, c] : components_) out.emplace_back(d, c.name);
  return out;
}

void hub::to_component(element stanza, const jid& to, int hops, const held_key& key, std::uint64_t resend) {
  auto it = components_.find(to.domain);
  if (it == components_.end()) return;
  if (clustered() && it->second.per_room && !to.local.empty()) {
    // A room's occupants and history live on one node, its home (README "Several nodes").
    const std::string room = to.bare();
    auto home = room_home(room);
    if (!home) {
      // The registry failed: handled here, as on one node.
    } else if (home->node != cluster_.node && hops < 2) {
      to_room_home(home->node, std::move(stanza), hops + 1, resend);
      return;
    } else if (home->claimed && it->second.on_claim) {
      try {
        it->second.on_claim(room);
      } catch (const std::exception& e) {
        log::error("xmpp.component.error", {{"domain", to.domain}, {"op", "claim"}, {"error", e.what()}});
      }
    }
  }
  to_component_local(std::move(stanza), to, key);
}

void hub::to_component_local(element stanza, const jid& to, const held_key& key) {
  auto it = components_.find(to.domain);
  if (it == components_.end()) return;
  try {
    it->second.handler(std::move(stanza), key);
  } catch (const std::exception& e) {
    log::error("xmpp.component.error", {{"domain", to.domain}, {"error", e.what()}});
  }
}

bool hub::send_from_component(element st) {
  auto to = jid::parse(st.get("to"));
  if (!to) return true;
  if (is_component(to->domain)) {
    to_component(std::move(st), *to);
    return true;
  }
  if (!is_local_domain(to->domain)) {
    if (remote_) remote_(std::move(st));
    return true;
  }
  if (!to->resource.empty()) {
    if (!find(to->full())) {
      // A session on another node: that node hands it over.
      auto r = remote_find(to->full());
      if (!r) return false;
      forward(r->node, forward_kind::from_component, {}, st);
      return true;
    }
    return from_component_local(std::move(st), *to);
  }
  if (st.name == "message") deliver_message(std::move(st), *to, false);
  else if (st.name == "presence") deliver_presence(st, *to);
  else if (st.get("type") == "result" || st.get("type") == "error") iq_answer(st);
  else send_to_account(to->bare(), st);
  return true;
}

bool hub::from_component_local(element st, const jid& to) {
  auto s = find(to.full());
  if (!s || !s->accepting()) return false;
  auto from = jid::parse(st.get("from"));
  // XEP-0191 §3.3: a user who blocked the room (or the service) gets nothing from it.
  if (from && is_blocked(to.bare(), from->bare())) return true;
  s->send(st);
  // XEP-0280 §6: a MUC private message (or any chat message) from a component to one
  // resource is copied to the account's other resources.
  if (st.name == "message") carbon_copy(st, to.bare(), s.get(), false);
  return true;
}

void hub::bounce(const element& stanza, std::string_view type, std::string_view condition) {
  // RFC 6120 §8.3.1: never answer an error with an error.
  if (stanza.get("type") == "error") return;
  auto from = jid::parse(stanza.get("from"));
  if (!from) return;
  auto err = make_error(stanza, type, condition);
  if (is_component(from->domain)) {
    to_component(std::move(err), *from);
    return;
  }
  if (!is_local_domain(from->domain)) {
    if (remote_) remote_(std::move(err));
    return;
  }
  if (!from->resource.empty()) send_to_full(from->full(), err);
}

void hub::iq_answer(const element& iq) {
  for (const auto& h : answer_hooks_) {
    try {
      h(*this, iq);
    } catch (const std::exception& e) {
      log::error("xmpp.answer_hook.error", {{"error", e.what()}});
    }
  }
}

void hub::handle(request& r) {
  const auto& kind = r.stanza.name;
  if (kind == "message") handle_message(r);
  else if (kind == "presence") handle_presence(r);
  else if (kind == "iq") handle_iq(r);
}

void hub::route(element stanza) {
  auto to = jid::parse(stanza.get("to"));
  if (!to) return;
  if (is_component(to->domain)) {
    to_component(std::move(stanza), *to);
    return;
  }
  if (stanza.name == "message") deliver_message(std::move(stanza), *to, false);
  else if (stanza.name == "presence") deliver_presence(stanza, *to);
  else if (to->resource.empty()) send_to_account(to->bare(), stanza);
  else send_to_full(to->full(), stanza);
}

void hub::handle_iq(request& r) {
  const auto& iq = r.stanza;
  std::string type = iq.get("type");
  const element* payload = iq.first_child();
  const std::string own = r.from.full.bare();
  bool has_to = iq.attr("to").has_value();
  if (has_to && is_component(r.to.domain)) {
    to_component(iq, r.to);
    return;
  }
  if (type == "result" || type == "error") {
    // Answers to iqs we routed: forward to a full JID; answers to the server are dropped.
    if (has_to && !r.to.resource.empty()) send_to_full(r.to.full(), iq);
    return;
  }
  if (type != "get" && type != "set") {
    r.from.send(make_error(iq, "modify", "bad-request"));
    return;
  }
  // RFC 6120 §8.2.3: exactly one payload child.
  if (!payload) {
    r.from.send(make_error(iq, "modify", "bad-request"));
    return;
  }
  target t;
  if (!has_to || r.to.bare() == own) {
    if (has_to && !r.to.resource.empty() && r.to.full() != r.from.full.full()) {
      // Another resource of the same account.
      if (!send_to_full(r.to.full(), iq)) r.from.send(make_error(iq, "cancel", "service-unavailable"));
      return;
    }
    t = target::own_account;
  } else if (r.to.is_domain() && is_local_domain(r.to.domain)) {
    t = target::server;
  } else if (r.to.local.empty() || !is_local_domain(r.to.domain)) {
    // RFC 6120 §10.4: a remote domain.
    if (remote_ && !is_local_domain(r.to.domain)) remote_(iq);
    else r.from.send(make_error(iq, "cancel", "remote-server-not-found"));
    return;
  } else if (!r.to.resource.empty()) {
    // RFC 6121 §8.5.3.1/§8.5.4: an iq to a full JID goes to that resource or fails.
    if (is_blocked(r.to.bare(), own) || !send_to_full(r.to.full(), iq))
      r.from.send(make_error(iq, "cancel", "service-unavailable"));
    return;
  } else {
    t = target::other_account;
    if (!account_exists(r.to.bare()) || is_blocked(r.to.bare(), own)) {
      r.from.send(make_error(iq, "cancel", "service-unavailable"));
      return;
    }
  }
  auto it = iq_handlers_.find(type + " " + payload->ns);
  if (it == iq_handlers_.end() || !(it->second.first & static_cast<int>(t))) {
    // A server-addressed namespace asked without to= (ping, version, time...) also counts.
    if (it != iq_handlers_.end() && !has_to && (it->second.first & static_cast<int>(target::server))) t = target::server;
    else {
      // RFC 6120 §8.4: an unknown namespace is service-unavailable.
      r.from.send(make_error(iq, "cancel", "service-unavailable"));
      return;
    }
  }
  iq_reply rep;
  try {
    rep = it->second.second(*this, r, *payload);
  } catch (const std::exception& e) {
    log::error("xmpp.iq.error", {{"ns", payload->ns}, {"error", e.what()}});
    rep = iq_reply::error("wait", "internal-server-error");
  }
  if (!rep.error_type.empty()) r.from.send(make_error(iq, rep.error_type, rep.error_condition));
  else r.from.send(make_iq_result(iq, std::move(rep.payload)));
}

}  // namespace hearth::xmpp
