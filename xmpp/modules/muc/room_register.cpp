// Registration with a room (XEP-0045 §7.10): a user asks for the registration form, submits a
// nick and becomes a member whose nick is reserved: others are refused it at join and at a
// nick change (room.cpp). <remove/> gives the nick back. The room accepts registrations
// without an approval step; an outcast may not register.
#include "xmpp/modules/modules.hpp"
#include "xmpp/modules/muc/room.hpp"

namespace hearth::xmpp::muc {

namespace {
constexpr std::string_view register_form = "http://jabber.org/protocol/muc#register";
constexpr std::size_t max_nick = 1023;  // RFC 7622 §3.4: a resourcepart, which the nick becomes
}  // namespace

outcome room::register_iq(const element& iq, const element& q, const jid& from) {
  const std::string bare = from.bare();
  const affiliation aff = affiliation_of(bare);
  if (aff == affiliation::outcast) return one(error_reply(iq, "auth", "forbidden"));
  auto mine = affiliations_.find(bare);
  const std::string reserved = mine != affiliations_.end() ? mine->second.nick : std::string();
  if (iq.get("type") == "get") {
    element out("query", std::string(ns_register));
    if (!reserved.empty()) {
      // §7.10: already registered: say so, with the nick.
      out.add("registered", std::string(ns_register));
      out.add("username", std::string(ns_register)).add_text(reserved);
      return one(result_reply(iq, std::move(out)));
    }
    out.add("instructions", std::string(ns_register)).add_text("Choose the nickname reserved for you in this room.");
    element& x = out.add("x", std::string(ns_data));
    x.set("type", "form");
    x.add("title", std::string(ns_data)).add_text("Register with " + jid_.bare());
    element& ft = x.add("field", std::string(ns_data));
    ft.set("var", "FORM_TYPE").set("type", "hidden");
    ft.add("value", std::string(ns_data)).add_text(std::string(register_form));
    element& nick = x.add("field", std::string(ns_data));
    nick.set("var", "muc#register_roomnick").set("type", "text-single").set("label", "Nickname");
    nick.add("required", std::string(ns_data));
    return one(result_reply(iq, std::move(out)));
  }
  if (iq.get("type") != "set") return one(error_reply(iq, "modify", "bad-request"));
  outcome res;
  if (q.child("remove", ns_register)) {
    if (reserved.empty()) return one(error_reply(iq, "cancel", "item-not-found"));
    mine->second.nick.clear();
    reserved_dirty_ = true;
    res.save = stored();
    res.out.push_back(result_reply(iq));
    return res;
  }
  const element* x = q.child("x", ns_data);
  auto values = modules::form_values(x);
  auto ft = values.find("FORM_TYPE");
  auto nv = values.find("muc#register_roomnick");
  if (!x || x->get("type") != "submit" || ft == values.end() || ft->second.empty() || ft->second[0] != register_form ||
      nv == values.end() || nv->second.size() != 1)
    return one(error_reply(iq, "modify", "bad-request", "submit the muc#register form with a nickname"));
  const std::string nick = nv->second[0];
  if (nick.empty() || nick.size() > max_nick || !jid::parse(jid_.bare() + "/" + nick))
    return one(error_reply(iq, "modify", "not-acceptable", "that nickname cannot be used"));
  // §7.10: a nick reserved by someone else, or worn by another user now, is a conflict.
  for (const auto& [who, e] : affiliations_)
    if (who != bare && e.nick == nick) return one(error_reply(iq, "cancel", "conflict", "that nickname is reserved"));
  if (const occupant* o = find_nick(nick); o && o->real.bare() != bare)
    return one(error_reply(iq, "cancel", "conflict", "that nickname is in use"));
  if (aff < affiliation::member) set_affiliation(res, bare, affiliation::member, "", "");
  affiliations_[bare].nick = nick;
  reserved_dirty_ = true;
  res.save = stored();
  res.out.push_back(result_reply(iq));
  return res;
}

}  // namespace hearth::xmpp::muc
