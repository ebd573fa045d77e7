// Moderation (XEP-0045 §8: kick, voice), administration (§9: bans, membership), ownership
// (§10: configuration, destruction) and the room's disco#info (§6.4).
#include <algorithm>

#include "xmpp/modules/muc/room.hpp"

namespace hearth::xmpp::muc {

namespace {
constexpr std::string_view ns_info = "http://jabber.org/protocol/disco#info";
constexpr std::string_view ns_items = "http://jabber.org/protocol/disco#items";
}  // namespace

element result_reply(const element& iq, std::optional<element> payload) {
  element e("iq", std::string(ns_client));
  if (auto id = iq.attr("id")) e.set("id", *id);
  if (auto f = iq.attr("from")) e.set("to", *f);
  if (auto t = iq.attr("to")) e.set("from", *t);
  e.set("type", "result");
  if (payload) e.add(std::move(*payload));
  return e;
}

outcome one(element e) {
  outcome o;
  o.out.push_back(std::move(e));
  return o;
}

std::optional<outcome> room::on_iq(const element& iq, const jid& from, const context&) {
  const element* q = iq.first_child();
  const std::string type = iq.get("type");
  if (!q) return std::nullopt;
  const occupant* actor = occupant_by_jid(from.full());
  const affiliation aff = affiliation_of(from.bare());
  if (q->ns == ns_admin && q->name == "query") {
    if (type == "get") return admin_get(iq, *q, aff, actor);
    if (type == "set") return admin_set(iq, *q, actor, aff);
  }
  if (q->ns == ns_owner && q->name == "query") return owner_iq(iq, *q, aff);
  if (q->ns == ns_register && q->name == "query") return register_iq(iq, *q, from);
  if (q->ns == ns_info && type == "get") {
    if (q->attr("node")) return one(error_reply(iq, "cancel", "item-not-found"));
    return one(result_reply(iq, disco_info()));
  }
  if (q->ns == ns_items && type == "get") {
    // §6.5: the occupants are listed only to occupants (their nicks are no secret to them).
    element items("query", std::string(ns_items));
    if (actor)
      for (const auto& [n, o] : occupants_)
        items.add("item", std::string(ns_items)).set("jid", jid_.bare() + "/" + n).set("name", n);
    return one(result_reply(iq, std::move(items)));
  }
  return std::nullopt;
}

element room::disco_info() const {
  element q("query", std::string(ns_info));
  q.add("identity", std::string(ns_info))
      .set("category", "conference")
      .set("type", "text")
      .set("name", config_.title.empty() ? jid_.local : config_.title);
  auto feature = [&](std::string_view v) { q.add("feature", std::string(ns_info)).set("var", v); };
  // §6.4 and §15.6: the room's kind, one of each pair.
  feature(ns_muc);
  feature(config_.persistent ? "muc_persistent" : "muc_temporary");
  feature(config_.is_public ? "muc_public" : "muc_hidden");
  feature(config_.members_only ? "muc_membersonly" : "muc_open");
  feature(config_.password_protected ? "muc_passwordprotected" : "muc_unsecured");
  feature(config_.moderated ? "muc_moderated" : "muc_unmoderated");
  feature(config_.whois_anyone ? "muc_nonanonymous" : "muc_semianonymous");
  feature("http://jabber.org/protocol/muc#stable_id");
  feature("http://jabber.org/protocol/muc#self-ping-optimization");
  feature(ns_occupant_id);
  feature("urn:xmpp:sid:0");
  feature("vcard-temp");
  feature(ns_register);  // §7.10
  feature(ns_request);   // §7.13
  if (config_.logging) feature("urn:xmpp:mam:2");
  feature(ns_info);
  feature(ns_items);
  // §15.5.4 muc#roominfo.
  element x("x", std::string(ns_data));
  x.set("type", "result");
  auto field = [&](std::string var, std::string value, std::string label = {}) {
    auto& f = x.add("field", std::string(ns_data));
    f.set("var", var);
    if (!label.empty()) f.set("label", label);
    f.add("value", std::string(ns_data)).add_text(std::move(value));
  };
  field("FORM_TYPE", "http://jabber.org/protocol/muc#roominfo");
  field("muc#roominfo_description", config_.description, "Description");
  field("muc#roominfo_subject", subject, "Subject");
  field("muc#roominfo_occupants", std::to_string(occupants_.size()), "Number of occupants");
  field("muc#roomconfig_roomname", config_.title, "Name");
  field("muc#roomconfig_allowpm", config_.allow_pm);
  field("muc#roomconfig_changesubject", config_.change_subject ? "1" : "0");
  q.add(std::move(x));
  return q;
}

outcome room::admin_get(const element& iq, const element& q, affiliation aff, const occupant* actor) {
  const element* item = q.child("item", ns_admin);
  if (!item) return one(error_reply(iq, "modify", "bad-request"));
  element out("query", std::string(ns_admin));
  if (auto a = item->attr("affiliation")) {
    auto want = parse_affiliation(*a);
    if (!want || *want == affiliation::none) return one(error_reply(iq, "modify", "bad-request"));
    // §9.5, §10.5: admins and owners read the lists (members-only rooms also let members read
    // the member list, which clients use to name people).
    bool may = aff >= affiliation::admin || (*want == affiliation::member && config_.members_only && aff == affiliation::member);
    if (!may) return one(error_reply(iq, "auth", "forbidden"));
    for (const auto& [bare, e] : affiliations_) {
      if (e.a != *want) continue;
      auto& it = out.add("item", std::string(ns_admin));
      it.set("affiliation", name_of(e.a)).set("jid", bare);
      if (!e.nick.empty()) it.set("nick", e.nick);
      if (!e.reason.empty()) it.add("reason", std::string(ns_admin)).add_text(e.reason);
    }
  } else if (auto r = item->attr("role")) {
    auto want = parse_role(*r);
    if (!want || *want == role::none) return one(error_reply(iq, "modify", "bad-request"));
    if (!actor || actor->r != role::moderator) return one(error_reply(iq, "auth", "forbidden"));
    for (const auto& [n, o] : occupants_) {
      if (o.r != *want) continue;
      out.add("item", std::string(ns_admin))
          .set("role", name_of(o.r))
          .set("nick", n)
          .set("affiliation", name_of(affiliation_of(o.real.bare())))
          .set("jid", o.real.full());
    }
  } else {
    return one(error_reply(iq, "modify", "bad-request"));
  }
  return one(result_reply(iq, std::move(out)));
}

void room::set_affiliation(outcome& res, const std::string& bare, affiliation a, const std::string& reason,
                           const std::string& actor_nick) {
  reserved_dirty_ = true;
  if (a == affiliation::none) affiliations_.erase(bare);
  else {
    auto& e = affiliations_[bare];
    e.a = a;
    e.reason = a == affiliation::outcast ? reason : std::string();
  }
  res.save = stored();
  element children("item", std::string(ns_user));
  if (!actor_nick.empty()) children.add("actor", std::string(ns_user)).set("nick", actor_nick);
  if (!reason.empty()) children.add("reason", std::string(ns_user)).add_text(reason);
  // The occupants of that bare JID: banned (301), removed from a members-only room (321), or
  // their new affiliation and role shown to everyone.
  std::vector<std::string> nicks;
  for (const auto& [n, o] : occupants_)
    if (o.real.bare() == bare) nicks.push_back(n);
  for (const auto& n : nicks) {
    if (a == affiliation::outcast) {
      remove(res, n, {301}, &children);
    } else if (config_.members_only && a < affiliation::member) {
      remove(res, n, {321}, &children);
    } else {
      occupant* o = find_nick(n);
      role r = default_role(a);
      // A moderator granted by role stays one while its affiliation stays above visitor rights.
      if (o->r == role::moderator && r == role::participant && a >= affiliation::member) r = role::moderator;
      o->r = r;
      broadcast_presence(res, *o, {}, {}, false, {}, &children);
    }
  }
}

outcome room::admin_set(const element& iq, const element& q, const occupant* actor, affiliation aff) {
  outcome res;
  std::vector<const element*> items;
  for (const auto& c : q.children)
    if (!c.is_text() && c.name == "item" && c.ns == ns_admin) items.push_back(&c);
  if (items.empty()) return one(error_reply(iq, "modify", "bad-request"));
  const std::string actor_nick = actor ? actor->nick : std::string();
  // Check every item first: the change is all or nothing (§9.2 "atomic").
  for (const auto* it : items) {
    const std::string reason = it->child("reason", ns_admin) ? it->child("reason", ns_admin)->body() : std::string();
    if (auto r = it->attr("role")) {
      auto want = parse_role(*r);
      occupant* target = find_nick(it->get("nick"));
      if (!want) return one(error_reply(iq, "modify", "bad-request"));
      if (!target) return one(error_reply(iq, "cancel", "item-not-found"));
      if (!actor || actor->r != role::moderator) return one(error_reply(iq, "auth", "forbidden"));
      affiliation taff = affiliation_of(target->real.bare());
      // §8.2: nobody kicks or silences an admin or owner; §8.6: moderators are made by admins.
      if ((*want == role::none || *want == role::visitor) && taff >= affiliation::admin)
        return one(error_reply(iq, "cancel", "not-allowed"));
      if ((*want == role::moderator || target->r == role::moderator) && aff < affiliation::admin &&
          *want != target->r)
        return one(error_reply(iq, "cancel", "not-allowed"));
    } else if (auto a = it->attr("affiliation")) {
      auto want = parse_affiliation(*a);
      auto target = jid::parse(it->get("jid"));
      if (!want || !target) return one(error_reply(iq, "modify", "bad-request"));
      affiliation taff = affiliation_of(target->bare());
      // §9: admins manage members and outcasts below them; §10.3-10.8: owners manage all.
      if (aff < affiliation::admin) return one(error_reply(iq, "auth", "forbidden"));
      if (aff == affiliation::admin && (taff >= affiliation::admin || *want >= affiliation::admin))
        return one(error_reply(iq, "auth", "forbidden"));
      if (taff == affiliation::owner && *want != affiliation::owner) {
        std::size_t owners = std::count_if(affiliations_.begin(), affiliations_.end(),
                                           [](const auto& e) { return e.second.a == affiliation::owner; });
        // §10.6: the last owner cannot step down.
        if (owners <= 1) return one(error_reply(iq, "cancel", "conflict", "a room needs an owner"));
      }
    } else {
      return one(error_reply(iq, "modify", "bad-request"));
    }
  }
  for (const auto* it : items) {
    const element* rs = it->child("reason", ns_admin);
    const std::string reason = rs ? rs->body() : std::string();
    element children("item", std::string(ns_user));
    if (!actor_nick.empty()) children.add("actor", std::string(ns_user)).set("nick", actor_nick);
    if (!reason.empty()) children.add("reason", std::string(ns_user)).add_text(reason);
    if (auto r = it->attr("role")) {
      auto want = *parse_role(*r);
      std::string nick = it->get("nick");
      if (want == role::none) {
        remove(res, nick, {307}, &children);  // §8.2 kick
      } else {
        occupant* o = find_nick(nick);
        o->r = want;
        broadcast_presence(res, *o, {}, {}, false, {}, &children);
      }
    } else {
      auto target = *jid::parse(it->get("jid"));
      set_affiliation(res, target.bare(), *parse_affiliation(it->get("affiliation")), reason, actor_nick);
    }
  }
  res.out.push_back(result_reply(iq));
  return res;
}

outcome room::owner_iq(const element& iq, const element& q, affiliation aff) {
  if (aff != affiliation::owner) return one(error_reply(iq, "auth", "forbidden", "only owners may do this"));
  const std::string type = iq.get("type");
  if (type == "get") {
    element out("query", std::string(ns_owner));
    out.add(config_form(config_, limits_.max_occupants));
    return one(result_reply(iq, std::move(out)));
  }
  if (type != "set") return one(error_reply(iq, "modify", "bad-request"));
  if (const element* d = q.child("destroy", ns_owner)) {
    const element* r = d->child("reason", ns_owner);
    auto res = destroy(r ? r->body() : std::string(), d->get("jid"));
    res.out.push_back(result_reply(iq));
    return res;
  }
  const element* x = q.child("x", ns_data);
  if (!x) return one(error_reply(iq, "modify", "bad-request"));
  const std::string xtype = x->get("type");
  outcome res;
  if (xtype == "cancel") {
    // §10.1.3: cancelling the configuration of a room being created destroys it.
    if (locked) res = destroy({}, {});
    res.out.push_back(result_reply(iq));
    return res;
  }
  if (xtype != "submit") return one(error_reply(iq, "modify", "bad-request"));
  room_config before = config_;
  if (!apply_config_form(config_, *x, limits_.max_occupants)) return one(error_reply(iq, "modify", "not-acceptable"));
  locked = false;  // §10.1.2 instant room (an empty form) or §10.1.3 reserved room
  trim_history();
  res.save = stored() || before.persistent;
  // §10.2.1: occupants learn that the configuration changed (104), and of a changed anonymity.
  std::vector<int> codes{104};
  if (config_.whois_anyone != before.whois_anyone) codes.push_back(config_.whois_anyone ? 172 : 173);
  if (config_.logging != before.logging) codes.push_back(config_.logging ? 170 : 171);
  for (const auto& [n, o] : occupants_) {
    element m("message", std::string(ns_client));
    m.set("from", jid_.bare());
    m.set("to", o.real.full());
    m.set("type", "groupchat");
    auto& ux = m.add("x", std::string(ns_user));
    for (int c : codes) ux.add("status", std::string(ns_user)).set("code", std::to_string(c));
    res.out.push_back(std::move(m));
  }
  // A room made members-only loses its non-members (§9.x, status 322).
  if (config_.members_only && !before.members_only) {
    std::vector<std::string> out;
    for (const auto& [n, o] : occupants_)
      if (affiliation_of(o.real.bare()) < affiliation::member) out.push_back(n);
    for (const auto& n : out) remove(res, n, {322}, nullptr);
  }
  // Roles follow the moderated setting.
  if (config_.moderated != before.moderated)
    for (auto& [n, o] : occupants_) {
      role r = default_role(affiliation_of(o.real.bare()));
      if (o.r != role::moderator && o.r != r) {
        o.r = r;
        broadcast_presence(res, o, {}, {}, false);
      }
    }
  res.out.push_back(result_reply(iq));
  return res;
}

outcome room::destroy(std::string_view reason, const std::string& alternate) {
  outcome res;
  element children("item", std::string(ns_user));
  for (auto& [n, o] : occupants_) {
    element p("presence", std::string(ns_client));
    p.set("from", jid_.bare() + "/" + n);
    p.set("to", o.real.full());
    p.set("type", "unavailable");
    auto& x = p.add("x", std::string(ns_user));
    x.add("item", std::string(ns_user)).set("affiliation", "none").set("role", "none");
    auto& d = x.add("destroy", std::string(ns_user));
    if (!alternate.empty()) d.set("jid", alternate);
    if (!reason.empty()) d.add("reason", std::string(ns_user)).add_text(std::string(reason));
    x.add("status", std::string(ns_user)).set("code", "110");
    res.out.push_back(std::move(p));
  }
  occupants_.clear();
  nick_of_.clear();
  shown_.clear();
  res.destroyed = true;
  return res;
}

}  // namespace hearth::xmpp::muc
