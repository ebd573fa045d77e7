#include "xmpp/modules/muc/service.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "core/log/log.hpp"
#include "xmpp/modules/modules.hpp"
#include "xmpp/router/hub.hpp"
#include "xmpp/stream/parser.hpp"

namespace hearth::xmpp::muc {

namespace {
constexpr std::string_view ns_info = "http://jabber.org/protocol/disco#info";
constexpr std::string_view ns_items = "http://jabber.org/protocol/disco#items";
constexpr std::string_view ns_mam = "urn:xmpp:mam:2";
constexpr std::string_view ns_rsm = "http://jabber.org/protocol/rsm";
constexpr std::string_view ns_ping = "urn:xmpp:ping";
constexpr std::string_view ns_vcard = "vcard-temp";
constexpr std::size_t max_page = 250;
constexpr std::size_t max_pending_iqs = 1000;  // iqs between occupants awaiting an answer, per room
constexpr std::size_t max_vcard = 128 * 1024;

element iq_result(const element& iq, std::optional<element> payload = std::nullopt) {
  element e("iq", std::string(ns_client));
  if (auto id = iq.attr("id")) e.set("id", *id);
  if (auto f = iq.attr("from")) e.set("to", *f);
  if (auto t = iq.attr("to")) e.set("from", *t);
  e.set("type", "result");
  if (payload) e.add(std::move(*payload));
  return e;
}
}  // namespace

// A room with its lock. `gone` is set (under the lock) when it is destroyed, so a thread that
// found it just before must look again.
struct slot {
  std::mutex mu;
  room r;
  bool gone = false;
  std::string vcard;  // temporary rooms keep theirs here; persistent ones in the store too
  struct pending_iq {
    std::string id, from, to_nick;
  };
  std::map<std::string, pending_iq> pending;  // forwarded iqs between occupants, by our id
  slot(jid j, std::string secret, limits l) : r(std::move(j), std::move(secret), l) {}
};

class service : public std::enable_shared_from_this<service> {
 public:
  service(hub& h, muc_store& st, service_options o) : hub_(h), store_(st), opts_(std::move(o)) {}

  void load(const std::string& domain);
  // `key`: set when another node sent the stanza and holds it (hub held_key).
  void handle(element st, const held_key& key = {});
  // Several nodes: this node has just become the home of `room_jid` (hub::add_component's
  // on_claim). The room is read again from the store with the occupants its previous home
  // seated, replacing any copy in memory.
  void rehome(const std::string& room_jid);
  // Several nodes: sessions of a dead node leave the rooms they sat in (hub::on_sessions_gone).
  void sessions_gone(const std::vector<bound_session>& gone);

 private:
  std::shared_ptr<slot> find(const std::string& room_jid);
  void to_service(const element& st, const jid& from, const jid& to);
  void to_room(std::shared_ptr<slot> s, element st, const jid& from, const jid& to, const held_key& key);
  // A message resent after the room's previous home died: true when that home archived it
  // already (its occupants got it then), so it is dropped here.
  bool handled_before(slot& s, const held_key& key);
  void occupant_iq(slot& s, const element& iq, const jid& from, const jid& to);
  void mam(slot& s, const element& iq, const jid& from);
  void vcard(slot& s, const element& iq, const jid& from);
  // Persists, archives (with `origin`, store.hpp) and sends an outcome (the room's lock held).
  void apply(slot& s, outcome res, std::string_view origin = {});
  void save(slot& s);
  void forget(slot& s);
  // Writes the occupants the room seated, changed or lost since the last call (several nodes).
  void write_seats(slot& s);
  // A room as stored: configuration, affiliations, subject, the history from its archive, vCard.
  std::shared_ptr<slot> make_slot(const stored_room& sr);
  // Counts the rooms each owner owns (mu_ held): +1 or -1 for the owners of `r`.
  void count_owners(room& r, int delta);
  void send(element e) { hub_.send_from_component(std::move(e)); }
  context ctx() const {
    return context{now_us(), [] { return log::new_id() + log::new_id(); }};
  }
  bool ours(std::string_view domain) const { return domains_.count(std::string(domain)) != 0; }

  hub& hub_;
  muc_store& store_;
  service_options opts_;
  std::set<std::string> domains_;  // constant once serving
  std::mutex mu_;                  // rooms_ and owned_
  std::map<std::string, std::shared_ptr<slot>> rooms_;
  std::map<std::string, unsigned> owned_;  // rooms created per account

  friend std::shared_ptr<service> install(hub&, muc_store&, service_options, const std::vector<std::string>&);
};

std::shared_ptr<slot> service::make_slot(const stored_room& sr) {
  auto j = jid::parse(sr.jid);
  if (!j) return nullptr;
  auto s = std::make_shared<slot>(*j, opts_.secret, opts_.room_limits);
  s->r.config() = room_config::parse(sr.config);
  s->r.subject = sr.subject;
  s->r.subject_from = sr.subject_from;
  for (const auto& a : sr.affiliations)
    if (auto aff = parse_affiliation(a.affiliation)) s->r.affiliations()[a.jid] = affiliation_entry{*aff, a.nick, a.reason};
  // The history sent on join survives a restart: the last messages of the archive.
  for (const auto& a : store_.archive_last(sr.jid, s->r.config().history_length))
    if (auto m = parse_fragment(a.stanza)) s->r.history().push_back(history_entry{a.stamp_us, std::move(*m)});
  s->vcard = store_.vcard(sr.jid);
  return s;
}

void service::count_owners(room& r, int delta) {
  for (const auto& [bare, e] : r.affiliations()) {
    if (e.a != affiliation::owner) continue;
    auto& n = owned_[bare];
    if (delta > 0) ++n;
    else if (n > 0) --n;
    if (n == 0) owned_.erase(bare);
  }
}

void service::load(const std::string& domain) {
  domains_.insert(domain);
  for (auto& sr : store_.rooms(domain)) {
    auto s = make_slot(sr);
    // A stored temporary room lives on the node that holds its claim, which reads it when it
    // takes the claim (rehome); it is not this node's at start.
    if (!s || !s->r.config().persistent) continue;
    count_owners(s->r, +1);
    rooms_[sr.jid] = s;
  }
}

void service::rehome(const std::string& room_jid) {
  std::shared_ptr<slot> fresh;
  std::size_t seated = 0;
  try {
    auto sr = store_.room(room_jid);
    auto occupants = store_.occupants(room_jid);
    if (sr) {
      fresh = make_slot(*sr);
    } else if (!occupants.empty()) {
      // A room of a dead node that its owner never configured (still locked, so never
      // saved): it ends here (its owner creates it anew); its leftover rows go.
      store_.delete_room(room_jid);
    }
    if (fresh) {
      for (const auto& o : occupants) {
        auto real = jid::parse(o.jid);
        auto r = parse_role(o.role);
        auto p = parse_fragment(o.presence);
        if (!real || !r || *r == role::none) continue;
        fresh->r.restore(o.nick, *real, *r, p ? std::move(*p) : element("presence", std::string(ns_client)));
      }
      seated = fresh->r.occupants().size();
      fresh->r.track_changes(true);
    }
  } catch (const std::exception& e) {
    // The copy in memory (if any) goes on serving: stale, but better than none.
    log::error("xmpp.muc.store", {{"room", room_jid}, {"op", "rehome"}, {"error", e.what()}});
    return;
  }
  std::shared_ptr<slot> old;
  {
    std::lock_guard lk(mu_);
    auto it = rooms_.find(room_jid);
    if (it != rooms_.end()) {
      old = it->second;
      count_owners(old->r, -1);
      rooms_.erase(it);
    }
    if (fresh) {
      count_owners(fresh->r, +1);
      rooms_[room_jid] = fresh;
    }
  }
  if (old) {
    std::lock_guard lk(old->mu);
    old->gone = true;  // a thread that found it looks again and finds the fresh copy
  }
  if (fresh || old)  // a room new to every node is not news
    log::info("xmpp.muc.rehome",
              {{"room", room_jid}, {"stored", fresh ? "yes" : "no"}, {"occupants", std::uint64_t(seated)}});
}

void service::sessions_gone(const std::vector<bound_session>& gone) {
  for (const auto& g : gone) {
    std::vector<seat> seats;
    try {
      seats = store_.seats_of(g.full);
    } catch (const std::exception& e) {
      log::error("xmpp.muc.store", {{"jid", g.full}, {"op", "seats_of"}, {"error", e.what()}});
      continue;
    }
    // Each room hears it as an error from the occupant's session (§7.14 does not fit: the user
    // did not leave), on the room's home node, which seats it out with status 333.
    for (const auto& st : seats) {
      element p("presence", std::string(ns_client));
      p.set("from", g.full);
      p.set("to", st.room + "/" + st.nick);
      p.set("type", "error");
      p.add("error", std::string(ns_client)).set("type", "cancel").add("recipient-unavailable", std::string(ns_stanzas));
      hub_.send_from_component(std::move(p));
    }
  }
}

std::shared_ptr<slot> service::find(const std::string& room_jid) {
  std::lock_guard lk(mu_);
  auto it = rooms_.find(room_jid);
  return it == rooms_.end() ? nullptr : it->second;
}

void service::handle(element st, const held_key& key) {
  auto from = jid::parse(st.get("from"));
  auto to = jid::parse(st.get("to"));
  if (!from || !to || ours(from->domain)) return;
  if (to->local.empty()) {
    to_service(st, *from, *to);
    return;
  }
  const std::string room_jid = to->bare();
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto s = find(room_jid);
    if (!s) {
      const std::string type = st.get("type");
      if (st.name == "presence" && type.empty() && !to->resource.empty()) {
        // XEP-0045 §10.1.1: joining a room that does not exist creates it, for local users.
        if (!hub_.is_local_domain(from->domain)) {
          send(error_reply(st, "cancel", "not-allowed", "rooms are created by users of this server"));
          return;
        }
        {
          std::lock_guard lk(mu_);
          if (rooms_.count(room_jid)) continue;  // created meanwhile: join it
          if (owned_[from->bare()] >= opts_.max_rooms_per_user) {
            send(error_reply(st, "cancel", "not-allowed", "you own too many rooms (xmpp.muc_max_rooms_per_user)"));
            return;
          }
          s = std::make_shared<slot>(to->to_bare(), opts_.secret, opts_.room_limits);
          s->r.create(*from);
          ++owned_[from->bare()];
          rooms_[room_jid] = s;
        }
        log::info("xmpp.muc.create", {{"room", room_jid}, {"by", from->bare()}});
      } else {
        if (type != "error" && type != "result" && !(st.name == "presence" && !type.empty()))
          send(error_reply(st, "cancel", "item-not-found", "no such room"));
        return;
      }
    }
    std::unique_lock lk(s->mu);
    if (s->gone) continue;
    to_room(s, std::move(st), *from, *to, key);
    return;
  }
}

void service::to_room(std::shared_ptr<slot> sp, element st, const jid& from, const jid& to, const held_key& key) {
  slot& s = *sp;
  auto c = ctx();
  // Several nodes: the room's occupants are written as they change, so that another node can
  // take the room over (rehome). One node writes nothing.
  if (hub_.clustered()) s.r.track_changes(true);
  if (st.name == "presence") {
    apply(s, s.r.on_presence(st, from, to, c));
    return;
  }
  if (st.name == "message") {
    if (key.resent && handled_before(s, key)) return;
    apply(s, s.r.on_message(st, from, to, c), key.key);
    return;
  }
  if (st.name != "iq") return;
  if (!to.resource.empty()) {
    occupant_iq(s, st, from, to);
    return;
  }
  const std::string type = st.get("type");
  if (type == "result" || type == "error") return;
  const element* q = st.first_child();
  if (!q) {
    send(error_reply(st, "modify", "bad-request"));
    return;
  }
  if (q->ns == ns_mam) {
    mam(s, st, from);
    return;
  }
  if (q->ns == ns_vcard && q->name == "vCard") {
    vcard(s, st, from);
    return;
  }
  if (auto res = s.r.on_iq(st, from, c)) {
    apply(s, std::move(*res));
    return;
  }
  send(error_reply(st, "cancel", "service-unavailable"));
}

void service::occupant_iq(slot& s, const element& iq, const jid& from, const jid& to) {
  const std::string type = iq.get("type");
  const occupant* me = s.r.occupant_by_jid(from.full());
  if (type == "result" || type == "error") {
    // The answer to an iq we forwarded between occupants (§7.x: iq to an occupant JID).
    auto it = s.pending.find(iq.get("id"));
    if (it == s.pending.end() || !me || me->nick != it->second.to_nick) return;
    element out = iq;
    out.set("id", it->second.id);
    out.set("from", s.r.address().bare() + "/" + me->nick);
    out.set("to", it->second.from);
    s.pending.erase(it);
    send(std::move(out));
    return;
  }
  if (!me) {
    // XEP-0410 §4: not joined (any more): the client rejoins.
    send(error_reply(iq, "cancel", "not-acceptable"));
    return;
  }
  const element* q = iq.first_child();
  if (me->nick == to.resource) {
    // XEP-0410 §4 self-ping: answered by the room itself.
    if (q && q->name == "ping" && q->ns == ns_ping) send(iq_result(iq));
    else send(error_reply(iq, "cancel", "service-unavailable"));
    return;
  }
  auto target = s.r.occupants().find(to.resource);
  if (target == s.r.occupants().end()) {
    send(error_reply(iq, "cancel", "item-not-found"));
    return;
  }
  if (s.pending.size() >= max_pending_iqs) s.pending.erase(s.pending.begin());
  std::string id = log::new_id() + log::new_id();
  s.pending[id] = slot::pending_iq{iq.get("id"), from.full(), to.resource};
  element out = iq;
  out.set("id", id);
  out.set("from", s.r.address().bare() + "/" + me->nick);
  out.set("to", target->second.real.full());
  send(std::move(out));
}

bool service::handled_before(slot& s, const held_key& key) {
  const std::string room_jid = s.r.address().bare();
  try {
    if (!store_.archived_origin(room_jid, key.key)) return false;
  } catch (const std::exception& e) {
    // Unknown: handled again, since a message twice is better than none.
    log::error("xmpp.muc.archive", {{"room", room_jid}, {"op", "origin"}, {"error", e.what()}});
    return false;
  }
  log::info("xmpp.muc.duplicate", {{"room", room_jid}, {"origin", key.key}});
  return true;
}

void service::apply(slot& s, outcome res, std::string_view origin) {
  const std::string room_jid = s.r.address().bare();
  if (res.archive) {
    archived a;
    a.stanza_id = res.archive_id;
    auto fj = jid::parse(res.archive->get("from"));
    a.with = fj ? fj->resource : std::string();
    a.stamp_us = now_us();
    a.stanza = serialize(*res.archive);
    try {
      store_.archive_add(room_jid, a, origin);
    } catch (const std::exception& e) {
      log::error("xmpp.muc.archive", {{"room", room_jid}, {"error", e.what()}});
    }
  }
  if (res.destroyed) {
    forget(s);
  } else if (res.save) {
    save(s);
  }
  // Occupants whose session is gone leave; their departure is sent too (bounded: each pass
  // removes at least one occupant).
  std::vector<element> queue = std::move(res.out);
  for (int pass = 0; pass < 8 && !queue.empty(); ++pass) {
    std::vector<std::string> gone;
    for (auto& e : queue) {
      std::string to = e.get("to");
      if (!hub_.send_from_component(std::move(e)) && s.r.occupant_by_jid(to)) gone.push_back(to);
    }
    queue.clear();
    for (const auto& g : gone) {
      auto more = s.r.occupant_gone(g);
      for (auto& e : more.out) queue.push_back(std::move(e));
      if (more.destroyed) forget(s);
    }
  }
  if (!s.gone) write_seats(s);
}

void service::write_seats(slot& s) {
  auto nicks = s.r.take_changed();
  if (nicks.empty()) return;
  const std::string room_jid = s.r.address().bare();
  try {
    for (const auto& n : nicks) {
      auto it = s.r.occupants().find(n);
      if (it == s.r.occupants().end()) {
        store_.occupant_drop(room_jid, n);
        continue;
      }
      const occupant& o = it->second;
      store_.occupant_put(room_jid, {n, o.real.full(), std::string(name_of(o.r)), serialize(o.presence)});
    }
  } catch (const std::exception& e) {
    // The room goes on; only a take-over by another node would miss these seats.
    log::error("xmpp.muc.store", {{"room", room_jid}, {"op", "seats"}, {"error", e.what()}});
  }
}

void service::save(slot& s) {
  const std::string room_jid = s.r.address().bare();
  try {
    // One node: a temporary room lives in memory only (a room made temporary leaves the
    // store). Several nodes: it is stored too, so that a take-over rebuilds it; it leaves the
    // store when it empties (forget).
    if (!s.r.config().persistent && !hub_.clustered()) {
      store_.delete_room(room_jid);
      return;
    }
    stored_room sr;
    sr.jid = room_jid;
    sr.config = s.r.config().serialize();
    sr.subject = s.r.subject;
    sr.subject_from = s.r.subject_from;
    for (const auto& [bare, e] : s.r.affiliations())
      sr.affiliations.push_back({bare, std::string(name_of(e.a)), e.nick, e.reason});
    store_.save_room(sr);
    if (!s.vcard.empty()) store_.set_vcard(room_jid, s.vcard);
  } catch (const std::exception& e) {
    log::error("xmpp.muc.store", {{"room", room_jid}, {"error", e.what()}});
  }
}

void service::forget(slot& s) {
  if (s.gone) return;
  s.gone = true;
  const std::string room_jid = s.r.address().bare();
  {
    std::lock_guard lk(mu_);
    auto it = rooms_.find(room_jid);
    // A copy replaced by rehome() is not the room any more: the fresh one stays.
    if (it != rooms_.end() && it->second.get() == &s) {
      rooms_.erase(it);
      count_owners(s.r, -1);
    }
  }
  try {
    store_.delete_room(room_jid);
  } catch (const std::exception& e) {
    log::error("xmpp.muc.store", {{"room", room_jid}, {"error", e.what()}});
  }
  log::info("xmpp.muc.destroy", {{"room", room_jid}});
}

void service::to_service(const element& st, const jid& from, const jid& to) {
  if (st.name != "iq") return;
  const std::string type = st.get("type");
  if (type != "get" && type != "set") return;
  const element* q = st.first_child();
  if (!q || !to.resource.empty()) {
    send(error_reply(st, "cancel", "service-unavailable"));
    return;
  }
  if (type == "get" && q->ns == ns_info && !q->attr("node")) {
    element out("query", std::string(ns_info));
    out.add("identity", std::string(ns_info)).set("category", "conference").set("type", "text").set("name", "Chatrooms");
    for (auto f : {ns_muc, ns_info, ns_items, ns_ping, std::string_view("vcard-temp"), ns_occupant_id,
                   std::string_view("http://jabber.org/protocol/muc#self-ping-optimization")})
      out.add("feature", std::string(ns_info)).set("var", f);
    send(iq_result(st, std::move(out)));
    return;
  }
  if (type == "get" && q->ns == ns_items && !q->attr("node")) {
    // XEP-0045 §6.3: the public rooms (hidden ones are not listed).
    std::vector<std::shared_ptr<slot>> all;
    {
      std::lock_guard lk(mu_);
      for (const auto& [k, s] : rooms_)
        if (jid::parse(k)->domain == to.domain) all.push_back(s);
    }
    element out("query", std::string(ns_items));
    for (const auto& s : all) {
      std::lock_guard lk(s->mu);
      if (s->gone || !s->r.config().is_public || s->r.locked) continue;
      const auto& c = s->r.config();
      out.add("item", std::string(ns_items))
          .set("jid", s->r.address().bare())
          .set("name", c.title.empty() ? s->r.address().local : c.title);
    }
    send(iq_result(st, std::move(out)));
    return;
  }
  if (type == "get" && q->ns == ns_ping) {
    send(iq_result(st));
    return;
  }
  (void)from;
  send(error_reply(st, "cancel", "service-unavailable"));
}

void service::mam(slot& s, const element& iq, const jid& from) {
  const element& q = *iq.first_child();
  const std::string type = iq.get("type");
  if (!s.r.may_read_archive(from)) {
    send(error_reply(iq, "auth", "forbidden", "the archive of this room is not open to you"));
    return;
  }
  if (type == "get") {
    // XEP-0313 §4.1.1: the fields a query may use.
    element out("query", std::string(ns_mam));
    auto& x = out.add("x", std::string(ns_data));
    x.set("type", "form");
    auto& ft = x.add("field", std::string(ns_data));
    ft.set("var", "FORM_TYPE").set("type", "hidden");
    ft.add("value", std::string(ns_data)).add_text(std::string(ns_mam));
    const std::pair<const char*, const char*> fields[] = {{"with", "jid-single"}, {"start", "text-single"}, {"end", "text-single"}};
    for (const auto& [var, t] : fields) x.add("field", std::string(ns_data)).set("var", var).set("type", t);
    send(iq_result(iq, std::move(out)));
    return;
  }
  if (q.name != "query") {
    send(error_reply(iq, "modify", "bad-request"));
    return;
  }
  archive_query aq;
  auto values = modules::form_values(q.child("x", ns_data));
  auto one = [&](const char* k) -> std::optional<std::string> {
    auto it = values.find(k);
    if (it == values.end() || it->second.empty()) return std::nullopt;
    return it->second.front();
  };
  if (auto w = one("with")) {
    // XEP-0313 §5.1.1 in a room: "with" is an occupant JID (room/nick).
    auto j = jid::parse(*w);
    if (!j) {
      send(error_reply(iq, "modify", "jid-malformed"));
      return;
    }
    aq.with = j->resource;
  }
  if (auto v = one("start")) aq.start_us = modules::parse_xep82(*v);
  if (auto v = one("end")) aq.end_us = modules::parse_xep82(*v);
  if ((one("start") && !aq.start_us) || (one("end") && !aq.end_us)) {
    send(error_reply(iq, "modify", "bad-request"));
    return;
  }
  if (const element* set = q.child("set", ns_rsm)) {
    if (const element* m = set->child("max")) {
      auto b = m->body();
      if (b.empty() || b.size() > 6 || !std::all_of(b.begin(), b.end(), ::isdigit)) {
        send(error_reply(iq, "modify", "bad-request"));
        return;
      }
      aq.max = std::min<std::size_t>(max_page, std::stoul(b));
    }
    if (const element* a = set->child("after")) aq.after_id = a->body();
    if (const element* b = set->child("before")) aq.before_id = b->body();
  }
  const std::string room_jid = s.r.address().bare();
  archive_page page;
  try {
    page = store_.archive_find(room_jid, aq);
  } catch (const std::exception& e) {
    log::error("xmpp.muc.archive", {{"room", room_jid}, {"error", e.what()}});
    send(error_reply(iq, "wait", "internal-server-error"));
    return;
  }
  const std::string queryid = q.get("queryid");
  for (const auto& a : page.items) {
    auto stored = parse_fragment(a.stanza);
    if (!stored) continue;
    element m("message", std::string(ns_client));
    m.set("from", room_jid);
    m.set("to", from.full());
    auto& res = m.add("result", std::string(ns_mam));
    if (!queryid.empty()) res.set("queryid", queryid);
    res.set("id", a.stanza_id);
    auto& fwd = res.add("forwarded", std::string(ns_forward));
    fwd.add("delay", std::string(ns_delay)).set("stamp", xep82_stamp(a.stamp_us));
    fwd.add(std::move(*stored));
    send(std::move(m));
  }
  element fin("fin", std::string(ns_mam));
  if (page.complete) fin.set("complete", "true");
  auto& set = fin.add("set", std::string(ns_rsm));
  if (!page.items.empty()) {
    set.add("first", std::string(ns_rsm)).add_text(page.items.front().stanza_id);
    set.add("last", std::string(ns_rsm)).add_text(page.items.back().stanza_id);
  }
  set.add("count", std::string(ns_rsm)).add_text(std::to_string(page.count));
  send(iq_result(iq, std::move(fin)));
}

void service::vcard(slot& s, const element& iq, const jid& from) {
  // XEP-0054 on the room JID: anyone reads it (clients show it as the room's avatar), owners
  // write it.
  if (iq.get("type") == "get") {
    element v(std::string("vCard"), std::string(ns_vcard));
    if (!s.vcard.empty())
      if (auto stored = parse_fragment(s.vcard)) v = std::move(*stored);
    send(iq_result(iq, std::move(v)));
    return;
  }
  if (s.r.affiliation_of(from.bare()) != affiliation::owner) {
    send(error_reply(iq, "auth", "forbidden", "only owners set the room's vCard"));
    return;
  }
  std::string xml = serialize(*iq.first_child(), ns_client);
  if (xml.size() > max_vcard) {
    send(error_reply(iq, "modify", "not-acceptable", "the vCard is too large"));
    return;
  }
  s.vcard = xml;
  if (s.r.config().persistent || hub_.clustered()) {
    try {
      store_.set_vcard(s.r.address().bare(), xml);
    } catch (const std::exception& e) {
      log::error("xmpp.muc.store", {{"room", s.r.address().bare()}, {"error", e.what()}});
      send(error_reply(iq, "wait", "internal-server-error"));
      return;
    }
  }
  send(iq_result(iq));
}

std::shared_ptr<service> install(hub& h, muc_store& st, service_options o, const std::vector<std::string>& domains) {
  auto svc = std::make_shared<service>(h, st, std::move(o));
  for (const auto& d : domains) {
    std::string sd = svc->opts_.subdomain + "." + d;
    svc->load(sd);
    std::weak_ptr<service> weak = svc;
    h.add_component(
        sd, "Chatrooms",
        hub::keyed_component_handler([weak](element st, const held_key& key) {
          if (auto s = weak.lock()) s->handle(std::move(st), key);
        }),
        /*per_room=*/true,
        [weak](const std::string& room_jid) {
          if (auto s = weak.lock()) s->rehome(room_jid);
        });
  }
  std::weak_ptr<service> weak = svc;
  h.on_sessions_gone([weak](const std::vector<bound_session>& gone) {
    if (auto s = weak.lock()) s->sessions_gone(gone);
  });
  return svc;
}

}  // namespace hearth::xmpp::muc
