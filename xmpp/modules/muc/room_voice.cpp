// Voice requests (XEP-0045 §7.13 and §8.6): in a moderated room a visitor submits the
// muc#request form; the room sends every moderator an approval form naming the visitor; a
// moderator who submits it with muc#request_allow=true gives the visitor voice (participant),
// which everyone sees in the visitor's new presence.
#include "xmpp/modules/modules.hpp"
#include "xmpp/modules/muc/room.hpp"

namespace hearth::xmpp::muc {

namespace {

std::string first(const std::map<std::string, std::vector<std::string>>& v, const std::string& var) {
  auto it = v.find(var);
  return it == v.end() || it->second.empty() ? std::string() : it->second[0];
}

void field(element& x, std::string var, std::string type, std::string label, std::string value) {
  element& f = x.add("field", std::string(ns_data));
  f.set("var", var).set("type", type);
  if (!label.empty()) f.set("label", label);
  f.add("value", std::string(ns_data)).add_text(std::move(value));
}

}  // namespace

outcome room::voice_request(const element& m, occupant* me, const element& x, const context& ctx) {
  outcome res;
  if (!me) {
    res.out.push_back(error_reply(m, "cancel", "not-acceptable", "join the room first"));
    return res;
  }
  auto v = modules::form_values(&x);
  const std::string allow = first(v, "muc#request_allow");
  if (v.count("muc#request_allow")) {
    // §8.6: a moderator's answer to an approval form.
    if (me->r != role::moderator) {
      res.out.push_back(error_reply(m, "auth", "forbidden", "only moderators approve voice requests"));
      return res;
    }
    if (allow != "true" && allow != "1") return res;  // declined: nothing to do
    occupant* target = find_nick(first(v, "muc#roomnick"));
    if (!target) {
      res.out.push_back(error_reply(m, "cancel", "item-not-found", "that occupant has left"));
      return res;
    }
    if (target->r != role::visitor) return res;  // has voice already
    target->r = role::participant;
    element children("item", std::string(ns_user));
    children.add("actor", std::string(ns_user)).set("nick", me->nick);
    broadcast_presence(res, *target, {}, {}, false, {}, &children);
    return res;
  }
  // §7.13: a request. Only a visitor has something to ask for; the request rate is the
  // message rate, so a visitor cannot flood the moderators.
  if (first(v, "muc#role") != "participant") {
    res.out.push_back(error_reply(m, "modify", "bad-request", "only voice (participant) can be requested"));
    return res;
  }
  if (me->r != role::visitor) return res;
  if (!rate_ok(*me, ctx.now_us)) {
    res.out.push_back(error_reply(m, "wait", "resource-constraint", "too many requests, slow down"));
    return res;
  }
  for (const auto& [n, o] : occupants_) {
    if (o.r != role::moderator) continue;
    element msg("message", std::string(ns_client));
    msg.set("from", jid_.bare()).set("to", o.real.full()).set("id", ctx.new_id ? ctx.new_id() : "voice");
    element& form = msg.add("x", std::string(ns_data));
    form.set("type", "form");
    form.add("title", std::string(ns_data)).add_text("Voice request");
    form.add("instructions", std::string(ns_data))
        .add_text("To give this occupant voice, set \"Grant voice to this person?\" and submit the form.");
    field(form, "FORM_TYPE", "hidden", "", std::string(ns_request));
    field(form, "muc#role", "list-single", "Requested role", "participant");
    // §8.6: the real JID only to those who may see it.
    if (may_see_jid(&o)) field(form, "muc#jid", "jid-single", "User ID", me->real.full());
    field(form, "muc#roomnick", "text-single", "Room Nickname", me->nick);
    field(form, "muc#request_allow", "boolean", "Grant voice to this person?", "false");
    res.out.push_back(std::move(msg));
  }
  return res;
}

}  // namespace hearth::xmpp::muc
