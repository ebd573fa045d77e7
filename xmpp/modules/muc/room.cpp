// Joins, exits, presence fan-out, messages and private messages of a room (XEP-0045 §7).
// Moderation and configuration: room_admin.cpp; the configuration form: config.cpp.
#include "xmpp/modules/modules.hpp"
#include "xmpp/modules/muc/room.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "core/crypto/crypto.hpp"

namespace hearth::xmpp::muc {

namespace {
constexpr std::string_view ns_sid = "urn:xmpp:sid:0";
constexpr std::string_view ns_delay = "urn:xmpp:delay";
constexpr std::string_view ns_conference = "jabber:x:conference";

std::string stamp(std::int64_t us) {
  std::time_t t = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// Parses XEP-0082 "CCYY-MM-DDThh:mm:ss[.sss]Z" (the form clients send in <history since/>).
std::optional<std::int64_t> parse_stamp(const std::string& s) {
  int Y, M, D, h, m, sec;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &Y, &M, &D, &h, &m, &sec) != 6) return std::nullopt;
  std::tm tm{};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000000;
}

void add_status(element& x, int code) { x.add("status", std::string(ns_user)).set("code", std::to_string(code)); }

// Removes children a client may not forge: the room's stanza-id and occupant-ids (XEP-0359 §6,
// XEP-0421 §4), and a muc#user payload on a groupchat message.
void strip_forged(element& m, const std::string& room_bare) {
  auto& ch = m.children;
  ch.erase(std::remove_if(ch.begin(), ch.end(),
                          [&](const element& c) {
                            if (c.is_text()) return false;
                            if (c.ns == ns_occupant_id) return true;
                            if (c.name == "stanza-id" && c.ns == ns_sid && c.get("by") == room_bare) return true;
                            return false;
                          }),
           ch.end());
}

std::optional<unsigned> to_uint(const std::string& s) {
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return static_cast<unsigned>(std::stoul(s));
}
}  // namespace

std::string_view name_of(affiliation a) {
  switch (a) {
    case affiliation::outcast: return "outcast";
    case affiliation::none: return "none";
    case affiliation::member: return "member";
    case affiliation::admin: return "admin";
    case affiliation::owner: return "owner";
  }
  return "none";
}

std::string_view name_of(role r) {
  switch (r) {
    case role::none: return "none";
    case role::visitor: return "visitor";
    case role::participant: return "participant";
    case role::moderator: return "moderator";
  }
  return "none";
}

std::optional<affiliation> parse_affiliation(std::string_view s) {
  for (auto a : {affiliation::outcast, affiliation::none, affiliation::member, affiliation::admin, affiliation::owner})
    if (name_of(a) == s) return a;
  return std::nullopt;
}

std::optional<role> parse_role(std::string_view s) {
  for (auto r : {role::none, role::visitor, role::participant, role::moderator})
    if (name_of(r) == s) return r;
  return std::nullopt;
}

element error_reply(const element& stanza, std::string_view type, std::string_view condition, std::string_view text) {
  element e(stanza.name, stanza.ns.empty() ? std::string(ns_client) : stanza.ns);
  // RFC 6120 §8.3.1: same kind and id, addresses swapped.
  if (auto id = stanza.attr("id")) e.set("id", *id);
  if (auto f = stanza.attr("from")) e.set("to", *f);
  if (auto t = stanza.attr("to")) e.set("from", *t);
  e.set("type", "error");
  // XEP-0045 §7.2.x: a join error echoes the muc payload.
  if (stanza.name == "presence" && stanza.child("x", ns_muc)) e.add("x", std::string(ns_muc));
  auto& err = e.add("error", e.ns);
  err.set("type", type);
  err.add(std::string(condition), std::string(ns_stanzas));
  if (!text.empty()) err.add("text", std::string(ns_stanzas)).add_text(std::string(text));
  return e;
}

affiliation room::affiliation_of(std::string_view bare) const {
  auto it = affiliations_.find(std::string(bare));
  return it == affiliations_.end() ? affiliation::none : it->second.a;
}

occupant* room::find_nick(std::string_view nick) {
  auto it = occupants_.find(std::string(nick));
  return it == occupants_.end() ? nullptr : &it->second;
}

occupant* room::find_jid(std::string_view full) {
  auto it = nick_of_.find(std::string(full));
  return it == nick_of_.end() ? nullptr : find_nick(it->second);
}

const occupant* room::occupant_by_jid(std::string_view full) const {
  auto it = nick_of_.find(std::string(full));
  if (it == nick_of_.end()) return nullptr;
  auto o = occupants_.find(it->second);
  return o == occupants_.end() ? nullptr : &o->second;
}

occupant& room::add_occupant(occupant o) {
  o.id = occupant_id(o.real.bare());
  nick_of_[o.real.full()] = o.nick;
  std::string nick = o.nick;
  if (o.shown) shown_.insert(nick);
  changed(nick);
  return occupants_[nick] = std::move(o);
}

void room::erase_occupant(const std::string& nick) {
  auto it = occupants_.find(nick);
  if (it == occupants_.end()) return;
  nick_of_.erase(it->second.real.full());
  shown_.erase(nick);
  changed(nick);
  occupants_.erase(it);
}

void room::restore(std::string nick, jid real, role r, element presence) {
  if (nick.empty() || occupants_.count(nick) || nick_of_.count(real.full())) return;
  occupant o;
  o.nick = std::move(nick);
  o.real = std::move(real);
  o.r = r;
  o.presence = std::move(presence);
  o.shown = config_.broadcasts(r);
  add_occupant(std::move(o));
}

std::vector<std::string> room::take_changed() {
  std::vector<std::string> out(changed_.begin(), changed_.end());
  changed_.clear();
  return out;
}

bool room::reserved_by_other(const std::string& nick, const std::string& bare) {
  if (reserved_dirty_) {
    reserved_.clear();
    for (const auto& [b, e] : affiliations_)
      if (!e.nick.empty()) reserved_[e.nick].insert(b);
    reserved_dirty_ = false;
  }
  auto it = reserved_.find(nick);
  if (it == reserved_.end()) return false;
  return it->second.size() > 1 || !it->second.count(bare);
}

void room::create(const jid& creator) {
  reserved_dirty_ = true;
  affiliations_[creator.bare()] = affiliation_entry{affiliation::owner, {}, {}};
  locked = true;
}

std::string room::occupant_id(std::string_view bare) const {
  // XEP-0421 §4: stable for one real JID in one room, not linkable across rooms.
  auto h = crypto::sha256(secret_ + '\0' + jid_.bare() + '\0' + std::string(bare));
  return crypto::base64_encode(h.substr(0, 18));
}

void room::trim_history() {
  while (history_.size() > config_.history_length) history_.pop_front();
}

role room::default_role(affiliation a) const {
  // XEP-0045 §5.1.2: owners and admins moderate; in a moderated room others without
  // membership are visitors.
  if (a == affiliation::owner || a == affiliation::admin) return role::moderator;
  if (config_.moderated && a != affiliation::member) return role::visitor;
  return role::participant;
}

bool room::may_see_jid(const occupant* viewer) const {
  return config_.whois_anyone || (viewer && viewer->r == role::moderator);
}

element room::presence_of(const occupant& o, const occupant& viewer, std::vector<int> codes, bool unavailable,
                          const std::string& new_nick, const element* item_children) const {
  element p("presence", std::string(ns_client));
  p.set("from", jid_.bare() + "/" + o.nick);
  p.set("to", viewer.real.full());
  if (unavailable) {
    p.set("type", "unavailable");
  } else {
    for (const auto& c : o.presence.children)
      if (!c.is_text()) p.add(c);
  }
  auto& x = p.add("x", std::string(ns_user));
  auto& item = x.add("item", std::string(ns_user));
  item.set("affiliation", name_of(affiliation_of(o.real.bare())));
  item.set("role", unavailable && !new_nick.empty() ? name_of(o.r) : (unavailable ? "none" : name_of(o.r)));
  if (&o == &viewer || may_see_jid(&viewer)) item.set("jid", o.real.full());
  if (!new_nick.empty()) item.set("nick", new_nick);
  if (item_children)
    for (const auto& c : item_children->children) item.add(c);
  if (&o == &viewer) {
    codes.push_back(110);
    // §7.2.3: 100 tells the user everyone sees real JIDs; §7.2.12: 170 that the room is logged.
    if (!unavailable && config_.whois_anyone) codes.push_back(100);
    if (!unavailable && config_.logging) codes.push_back(170);
  }
  std::sort(codes.begin(), codes.end());
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
  for (int c : codes) add_status(x, c);
  p.add("occupant-id", std::string(ns_occupant_id)).set("id", o.id.empty() ? occupant_id(o.real.bare()) : o.id);
  return p;
}

void room::broadcast_presence(outcome& res, occupant& o, const std::vector<int>& codes_self,
                              const std::vector<int>& codes_all, bool unavailable, const std::string& new_nick,
                              const element* item_children) {
  // muc#roomconfig_presencebroadcast: the others hear of an occupant whose role is broadcast,
  // and of one they have heard of before (its departure, its nick change); the occupant itself
  // always gets its own presence (XEP-0045 §7.2.3).
  const bool to_all = o.shown || (!unavailable && config_.broadcasts(o.r));
  changed(o.nick);
  if (to_all) {
    for (const auto& [n, viewer] : occupants_) {
      if (&viewer == &o) continue;
      res.out.push_back(presence_of(o, viewer, codes_all, unavailable, new_nick, item_children));
    }
    if (!unavailable && !o.shown) {
      o.shown = true;
      shown_.insert(o.nick);
    }
  }
  auto self = codes_all;
  self.insert(self.end(), codes_self.begin(), codes_self.end());
  res.out.push_back(presence_of(o, o, self, unavailable, new_nick, item_children));
}

bool room::rate_ok(occupant& o, std::int64_t now_us) {
  if (limits_.messages_per_second <= 0) return true;
  double burst = limits_.messages_per_second * 4;
  if (o.tokens_at_us == 0) o.tokens = burst;
  else o.tokens = std::min(burst, o.tokens + (now_us - o.tokens_at_us) / 1e6 * limits_.messages_per_second);
  o.tokens_at_us = now_us;
  if (o.tokens < 1) return false;
  o.tokens -= 1;
  return true;
}

outcome room::on_presence(const element& p, const jid& from, const jid& to, const context& ctx) {
  outcome res;
  const std::string type = p.get("type");
  occupant* me = find_jid(from.full());
  if (type == "error") {
    // The user's server could not deliver to it: the occupant is gone.
    if (me) res = occupant_gone(from.full());
    return res;
  }
  if (type == "unavailable") {
    // §7.14: exit.
    if (!me) return res;
    std::string nick = me->nick;
    element last = p;
    me->presence = element("presence", std::string(ns_client));
    for (const auto& c : last.children)
      if (!c.is_text() && c.name == "status") me->presence.add(c);
    broadcast_presence(res, *me, {}, {}, true);
    // The status text of the leave goes with it (presence_of copies nothing for unavailable).
    if (auto* st = last.child("status"))
      for (auto& e : res.out) e.add(*st);
    erase_occupant(nick);
    if (occupants_.empty() && !config_.persistent) res.destroyed = true;
    return res;
  }
  if (!type.empty()) return res;  // subscriptions and probes are not for rooms
  if (to.resource.empty()) {
    // §7.2.1: a join needs a nick.
    res.out.push_back(error_reply(p, "modify", "jid-malformed"));
    return res;
  }
  const std::string& nick = to.resource;
  if (me && me->nick == nick) {
    // A presence update; with a muc payload again, a rejoin (the client lost its state): it
    // gets the room's presences again.
    element stripped("presence", std::string(ns_client));
    for (const auto& c : p.children)
      if (!c.is_text() && !(c.name == "x" && (c.ns == ns_muc || c.ns == ns_user))) stripped.add(c);
    me->presence = stripped;
    if (p.child("x", ns_muc)) send_shown(res, *me);
    broadcast_presence(res, *me, {}, {}, false);
    return res;
  }
  if (me) {
    // §7.6: nick change.
    if (find_nick(nick)) {
      res.out.push_back(error_reply(p, "cancel", "conflict"));
      return res;
    }
    if (reserved_by_other(nick, from.bare())) {
      res.out.push_back(error_reply(p, "cancel", "conflict"));
      return res;
    }
    // Everyone sees the old nick leave with 303 and the new one, then the new nick arrive.
    broadcast_presence(res, *me, {}, {303}, true, nick);
    occupant moved = *me;
    erase_occupant(me->nick);
    moved.nick = nick;
    auto& o = add_occupant(std::move(moved));
    broadcast_presence(res, o, {}, {}, false);
    return res;
  }
  join(res, p, from, nick, ctx);
  return res;
}

void room::join(outcome& res, const element& p, const jid& from, const std::string& nick, const context& ctx) {
  const affiliation aff = affiliation_of(from.bare());
  const element* x = p.child("x", ns_muc);
  // §7.2.6-7.2.10, in the order the XEP lists the checks.
  if (locked && aff != affiliation::owner) {
    res.out.push_back(error_reply(p, "cancel", "item-not-found", "the room is being created"));
    return;
  }
  if (aff == affiliation::outcast) {
    res.out.push_back(error_reply(p, "auth", "forbidden", "you are banned from this room"));
    return;
  }
  if (config_.members_only && aff < affiliation::member) {
    res.out.push_back(error_reply(p, "auth", "registration-required", "this room is for members only"));
    return;
  }
  if (find_nick(nick)) {
    res.out.push_back(error_reply(p, "cancel", "conflict", "that nickname is in use"));
    return;
  }
  if (reserved_by_other(nick, from.bare())) {
    res.out.push_back(error_reply(p, "cancel", "conflict", "that nickname is reserved"));
    return;
  }
  unsigned cap = std::min(config_.max_users, limits_.max_occupants);
  // §7.2.9: owners and admins may join a full room (up to the hard limit).
  if ((occupants_.size() >= cap && aff < affiliation::admin) || occupants_.size() >= limits_.max_occupants) {
    res.out.push_back(error_reply(p, "wait", "service-unavailable", "the room is full"));
    return;
  }
  if (config_.password_protected && aff < affiliation::admin) {
    const element* pw = x ? x->child("password", ns_muc) : nullptr;
    if (!pw || pw->body() != config_.password) {
      res.out.push_back(error_reply(p, "auth", "not-authorized", "a password is required"));
      return;
    }
  }
  occupant o;
  o.nick = nick;
  o.real = from;
  o.r = default_role(aff);
  o.presence = element("presence", std::string(ns_client));
  for (const auto& c : p.children)
    if (!c.is_text() && !(c.name == "x" && (c.ns == ns_muc || c.ns == ns_user))) o.presence.add(c);
  auto& me = add_occupant(std::move(o));
  // §7.2.3: the others' presences first (those whose role is broadcast), then everyone learns of
  // the newcomer, the newcomer last (with 110, and 201 when it created the room).
  send_shown(res, me);
  std::vector<int> self;
  if (locked) self.push_back(201);
  broadcast_presence(res, me, self, {}, false);
  send_history(res, me, x, ctx);
  // §7.2.15: the subject, even when empty, ends the join.
  element s("message", std::string(ns_client));
  s.set("from", subject_from.empty() ? jid_.bare() : jid_.bare() + "/" + subject_from);
  s.set("to", me.real.full());
  s.set("type", "groupchat");
  s.set("id", ctx.new_id ? ctx.new_id() : std::string("subject"));
  auto& subj = s.add("subject", std::string(ns_client));
  if (!subject.empty()) subj.add_text(subject);
  res.out.push_back(std::move(s));
}

void room::send_shown(outcome& res, const occupant& viewer) {
  // shown_ rather than every occupant: seating N people in a room that broadcasts only
  // moderators costs N times the moderators, not N².
  for (const auto& nick : shown_) {
    auto it = occupants_.find(nick);
    if (it != occupants_.end() && &it->second != &viewer) res.out.push_back(presence_of(it->second, viewer, {}, false));
  }
}

void room::send_history(outcome& res, const occupant& o, const element* x, const context& ctx) {
  // §7.2.14: the client may limit the history by stanzas, characters, seconds or a date.
  std::size_t maxstanzas = history_.size(), maxchars = std::size_t(-1);
  std::int64_t since = 0;
  if (const element* h = x ? x->child("history", ns_muc) : nullptr) {
    if (auto v = to_uint(h->get("maxstanzas"))) maxstanzas = std::min<std::size_t>(maxstanzas, *v);
    if (auto v = to_uint(h->get("maxchars"))) maxchars = *v;
    if (auto v = to_uint(h->get("seconds"))) since = std::max<std::int64_t>(since, ctx.now_us - std::int64_t(*v) * 1000000);
    if (h->attr("since"))
      if (auto v = parse_stamp(h->get("since"))) since = std::max(since, *v);
  }
  std::vector<element> picked;
  std::size_t chars = 0;
  for (auto it = history_.rbegin(); it != history_.rend() && picked.size() < maxstanzas; ++it) {
    if (it->stamp_us < since) break;
    element m = it->msg;
    m.set("to", o.real.full());
    m.add("delay", std::string(ns_delay)).set("from", jid_.bare()).set("stamp", stamp(it->stamp_us));
    // maxchars counts the characters of the whole stanza as sent (§7.2.14).
    std::size_t n = serialize(m).size();
    if (maxchars != std::size_t(-1) && chars + n > maxchars) break;
    chars += n;
    picked.push_back(std::move(m));
  }
  for (auto it = picked.rbegin(); it != picked.rend(); ++it) res.out.push_back(std::move(*it));
}

void room::remove(outcome& res, const std::string& nick, std::vector<int> codes, const element* item_children) {
  occupant* o = find_nick(nick);
  if (!o) return;
  o->r = role::none;
  broadcast_presence(res, *o, {}, codes, true, {}, item_children);
  erase_occupant(nick);
}

outcome room::occupant_gone(std::string_view full) {
  outcome res;
  occupant* o = find_jid(full);
  if (!o) return res;
  std::string nick = o->nick;
  occupant ghost;
  ghost.id = o->id;
  const bool shown = o->shown;
  erase_occupant(nick);
  // The others see it leave with status 333 (XEP-0045: removed because its session failed, not
  // by its own exit); it cannot be told.
  ghost.nick = nick;
  ghost.real = *jid::parse(full);
  if (shown)
    for (const auto& [n, viewer] : occupants_) res.out.push_back(presence_of(ghost, viewer, {333}, true));
  if (occupants_.empty() && !config_.persistent) res.destroyed = true;
  return res;
}

outcome room::on_message(const element& m, const jid& from, const jid& to, const context& ctx) {
  outcome res;
  const std::string type = m.get("type");
  occupant* me = find_jid(from.full());
  if (type == "error") {
    if (me) {
      const element* err = m.child("error");
      const element* cond = err ? err->child_ns(ns_stanzas) : nullptr;
      // Errors that mean the user is not there any more (not a client refusing one message).
      static const char* gone[] = {"service-unavailable", "recipient-unavailable", "remote-server-not-found",
                                   "remote-server-timeout", "item-not-found", "gone"};
      if (cond && std::any_of(std::begin(gone), std::end(gone), [&](const char* g) { return cond->name == g; }))
        return occupant_gone(from.full());
    }
    return res;
  }
  if (!to.resource.empty()) {
    // §7.5: a private message to another occupant.
    if (type == "groupchat") {
      res.out.push_back(error_reply(m, "modify", "bad-request"));
      return res;
    }
    if (!me) {
      res.out.push_back(error_reply(m, "cancel", "not-acceptable", "join the room first"));
      return res;
    }
    const std::string& pm = config_.allow_pm;
    bool allowed = pm == "anyone" || (pm == "participants" && me->r >= role::participant) ||
                   (pm == "moderators" && me->r == role::moderator);
    if (!allowed) {
      res.out.push_back(error_reply(m, "cancel", "forbidden", "private messages are not allowed in this room"));
      return res;
    }
    occupant* target = find_nick(to.resource);
    if (!target) {
      res.out.push_back(error_reply(m, "cancel", "item-not-found"));
      return res;
    }
    element out = m;
    strip_forged(out, jid_.bare());
    out.set("from", jid_.bare() + "/" + me->nick);
    out.set("to", target->real.full());
    if (!out.child("x", ns_user)) out.add("x", std::string(ns_user));
    out.add("occupant-id", std::string(ns_occupant_id)).set("id", me->id);
    res.out.push_back(std::move(out));
    return res;
  }
  if (type != "groupchat") {
    if (const element* x = m.child("x", ns_user)) return invite(m, from, *x);
    if (const element* x = m.child("x", ns_data)) {
      auto v = modules::form_values(x);
      auto ft = v.find("FORM_TYPE");
      if (ft != v.end() && !ft->second.empty() && ft->second[0] == ns_request) return voice_request(m, me, *x, ctx);
    }
    res.out.push_back(error_reply(m, "modify", "bad-request"));
    return res;
  }
  if (!me) {
    // §7.4: only occupants send to the room.
    res.out.push_back(error_reply(m, "modify", "not-acceptable", "join the room first"));
    return res;
  }
  const element* subj = m.child("subject");
  bool subject_change = subj && !m.child("body");
  if (subject_change) {
    // §8.1: moderators, and participants where the room allows it.
    bool ok = me->r == role::moderator || (config_.change_subject && me->r == role::participant);
    if (!ok) {
      res.out.push_back(error_reply(m, "auth", "forbidden", "you may not change the subject"));
      return res;
    }
  } else if (me->r == role::visitor) {
    // §7.4 / §8.4: a visitor in a moderated room has no voice.
    res.out.push_back(error_reply(m, "auth", "forbidden", "you have no voice in this room"));
    return res;
  }
  if (!rate_ok(*me, ctx.now_us)) {
    res.out.push_back(error_reply(m, "wait", "resource-constraint", "too many messages, slow down"));
    return res;
  }
  element out("message", std::string(ns_client));
  out.attrs = m.attrs;
  out.children = m.children;
  strip_forged(out, jid_.bare());
  out.set("from", jid_.bare() + "/" + me->nick);
  out.remove_attr("to");
  out.add("occupant-id", std::string(ns_occupant_id)).set("id", me->id);
  if (subject_change) {
    subject = subj->body();
    subject_from = me->nick;
    res.save = stored();
  } else {
    // XEP-0359 §3 / XEP-0313 §5.1.2: the room's id for the message, also its archive id.
    res.archive_id = ctx.new_id ? ctx.new_id() : std::string();
    out.add("stanza-id", std::string(ns_sid)).set("id", res.archive_id).set("by", jid_.bare());
    if (m.child("body") && config_.history_length > 0) {
      history_.push_back(history_entry{ctx.now_us, out});
      trim_history();
    }
    if (m.child("body") && config_.logging) res.archive = out;
  }
  for (const auto& [n, o] : occupants_) {
    element copy = out;
    copy.set("to", o.real.full());
    res.out.push_back(std::move(copy));
  }
  return res;
}

outcome room::invite(const element& m, const jid& from, const element& x) {
  outcome res;
  const occupant* me = find_jid(from.full());
  const affiliation aff = affiliation_of(from.bare());
  if (const element* d = x.child("decline", ns_user)) {
    // §7.8.2 decline: forwarded to the inviter from the room.
    auto to = jid::parse(d->get("to"));
    if (!to) return res;
    element out("message", std::string(ns_client));
    out.set("from", jid_.bare());
    out.set("to", to->full());
    auto& ox = out.add("x", std::string(ns_user));
    auto& od = ox.add("decline", std::string(ns_user));
    od.set("from", from.bare());
    if (const element* r = d->child("reason", ns_user)) od.add(*r);
    res.out.push_back(std::move(out));
    return res;
  }
  bool any = false;
  for (const auto& inv : x.children) {
    if (inv.is_text() || inv.name != "invite") continue;
    any = true;
    auto to = jid::parse(inv.get("to"));
    if (!to) {
      res.out.push_back(error_reply(m, "modify", "jid-malformed"));
      return res;
    }
    if (!me && aff < affiliation::admin) {
      res.out.push_back(error_reply(m, "cancel", "not-acceptable", "join the room first"));
      return res;
    }
    if (config_.members_only) {
      // §7.8.1: in a members-only room, admins (or occupants where allowed) invite, and the
      // invitation makes the invitee a member.
      bool may = aff >= affiliation::admin || (config_.allow_invites && me && me->r >= role::participant);
      if (!may) {
        res.out.push_back(error_reply(m, "auth", "forbidden", "only admins may invite to this room"));
        return res;
      }
      if (affiliation_of(to->bare()) < affiliation::member && affiliation_of(to->bare()) != affiliation::outcast) {
        affiliations_[to->bare()] = affiliation_entry{affiliation::member, {}, {}};
        reserved_dirty_ = true;
        res.save = stored();
      }
    }
    element out("message", std::string(ns_client));
    out.set("from", jid_.bare());
    out.set("to", to->bare());
    auto& ox = out.add("x", std::string(ns_user));
    auto& oi = ox.add("invite", std::string(ns_user));
    oi.set("from", from.full());
    if (const element* r = inv.child("reason", ns_user)) oi.add(*r);
    if (config_.password_protected) ox.add("password", std::string(ns_user)).add_text(config_.password);
    // XEP-0249 §3 also lets older clients see the invitation.
    out.add("x", std::string(ns_conference)).set("jid", jid_.bare());
    res.out.push_back(std::move(out));
  }
  if (!any) res.out.push_back(error_reply(m, "modify", "bad-request"));
  return res;
}

bool room::may_read_archive(const jid& from) const {
  if (!config_.logging) return false;
  affiliation a = affiliation_of(from.bare());
  if (a == affiliation::outcast) return false;
  if (a >= affiliation::member) return true;
  if (config_.members_only) return false;
  for (const auto& [n, o] : occupants_)
    if (o.real.bare() == from.bare()) return true;
  // A public open room's log is public (as its history is to anyone who joins).
  return config_.is_public && !config_.password_protected;
}

}  // namespace hearth::xmpp::muc
