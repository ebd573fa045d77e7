// The room configuration: its stored text form and the muc#roomconfig form (XEP-0045 §10.2,
// field names from the registry of §15.5.3).
#include <algorithm>
#include <map>

#include "xmpp/modules/muc/room.hpp"

namespace hearth::xmpp::muc {

namespace {

constexpr std::size_t max_text = 1024;  // room name, description, password

std::string one_line(std::string_view s) {
  std::string out(s.substr(0, max_text));
  std::replace(out.begin(), out.end(), '\n', ' ');
  std::replace(out.begin(), out.end(), '\r', ' ');
  return out;
}

std::optional<bool> parse_bool(const std::string& v) {
  // XEP-0004 §3.3 boolean: "0"/"1"/"false"/"true".
  if (v == "1" || v == "true") return true;
  if (v == "0" || v == "false") return false;
  return std::nullopt;
}

std::optional<unsigned> parse_uint(const std::string& v) {
  if (v.empty() || v.size() > 9 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return static_cast<unsigned>(std::stoul(v));
}

constexpr role broadcast_roles[] = {role::moderator, role::participant, role::visitor};

std::vector<std::string> broadcast_names(unsigned mask) {
  std::vector<std::string> out;
  for (role r : broadcast_roles)
    if (mask & room_config::role_bit(r)) out.emplace_back(name_of(r));
  return out;
}

// A list of role names (the form's values, or the stored text split at commas): nullopt when
// one is not a role whose presence can be broadcast.
std::optional<unsigned> broadcast_mask(const std::vector<std::string>& names) {
  unsigned mask = 0;
  for (const auto& n : names) {
    auto r = parse_role(n);
    if (!r || *r == role::none) return std::nullopt;
    mask |= room_config::role_bit(*r);
  }
  return mask;
}

}  // namespace

std::string room_config::serialize() const {
  std::string s;
  auto put = [&](std::string_view k, std::string v) { s += std::string(k) + "=" + one_line(v) + "\n"; };
  auto b = [](bool v) { return std::string(v ? "1" : "0"); };
  put("title", title);
  put("description", description);
  put("persistent", b(persistent));
  put("public", b(is_public));
  put("members_only", b(members_only));
  put("password_protected", b(password_protected));
  put("password", password);
  put("moderated", b(moderated));
  put("whois_anyone", b(whois_anyone));
  put("max_users", std::to_string(max_users));
  put("allow_pm", allow_pm);
  put("change_subject", b(change_subject));
  put("allow_invites", b(allow_invites));
  put("history_length", std::to_string(history_length));
  put("logging", b(logging));
  std::string roles;
  for (const auto& n : broadcast_names(presence_broadcast)) roles += (roles.empty() ? "" : ",") + n;
  put("presence_broadcast", roles);
  return s;
}

room_config room_config::parse(std::string_view text) {
  room_config c;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    auto line = text.substr(pos, nl - pos);
    pos = nl + 1;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string k(line.substr(0, eq)), v(line.substr(eq + 1));
    bool t = v == "1";
    if (k == "title") c.title = v;
    else if (k == "description") c.description = v;
    else if (k == "persistent") c.persistent = t;
    else if (k == "public") c.is_public = t;
    else if (k == "members_only") c.members_only = t;
    else if (k == "password_protected") c.password_protected = t;
    else if (k == "password") c.password = v;
    else if (k == "moderated") c.moderated = t;
    else if (k == "whois_anyone") c.whois_anyone = t;
    else if (k == "max_users") c.max_users = parse_uint(v).value_or(c.max_users);
    else if (k == "allow_pm") c.allow_pm = v;
    else if (k == "change_subject") c.change_subject = t;
    else if (k == "allow_invites") c.allow_invites = t;
    else if (k == "history_length") c.history_length = parse_uint(v).value_or(c.history_length);
    else if (k == "logging") c.logging = t;
    else if (k == "presence_broadcast") {
      std::vector<std::string> names;
      for (std::size_t i = 0; i < v.size();) {
        auto comma = v.find(',', i);
        if (comma == std::string::npos) comma = v.size();
        if (comma > i) names.push_back(v.substr(i, comma - i));
        i = comma + 1;
      }
      c.presence_broadcast = broadcast_mask(names).value_or(c.presence_broadcast);
    }
  }
  return c;
}

element config_form(const room_config& c, unsigned max_occupants) {
  element x("x", std::string(ns_data));
  x.set("type", "form");
  x.add("title", std::string(ns_data)).add_text("Room configuration");
  auto field = [&](std::string var, std::string type, std::string label, std::vector<std::string> values,
                   std::vector<std::string> options = {}) -> element& {
    auto& f = x.add("field", std::string(ns_data));
    f.set("var", var).set("type", type);
    if (!label.empty()) f.set("label", label);
    for (auto& o : options) f.add("option", std::string(ns_data)).add("value", std::string(ns_data)).add_text(o);
    for (auto& v : values) f.add("value", std::string(ns_data)).add_text(std::move(v));
    return f;
  };
  auto b = [](bool v) { return std::vector<std::string>{v ? "1" : "0"}; };
  field("FORM_TYPE", "hidden", "", {"http://jabber.org/protocol/muc#roomconfig"});
  field("muc#roomconfig_roomname", "text-single", "Name", {c.title});
  field("muc#roomconfig_roomdesc", "text-single", "Description", {c.description});
  field("muc#roomconfig_persistentroom", "boolean", "Keep the room when the last occupant leaves", b(c.persistent));
  field("muc#roomconfig_publicroom", "boolean", "List the room publicly", b(c.is_public));
  field("muc#roomconfig_membersonly", "boolean", "Only members may join", b(c.members_only));
  field("muc#roomconfig_passwordprotectedroom", "boolean", "A password is needed to join", b(c.password_protected));
  field("muc#roomconfig_roomsecret", "text-private", "Password", {c.password});
  field("muc#roomconfig_moderatedroom", "boolean", "Only participants with voice may speak", b(c.moderated));
  field("muc#roomconfig_whois", "list-single", "Who may see real addresses", {c.whois_anyone ? "anyone" : "moderators"},
        {"moderators", "anyone"});
  std::vector<std::string> sizes;
  for (unsigned n : {10u, 20u, 50u, 100u, 200u, 500u, 1000u, 10000u})
    if (n <= max_occupants) sizes.push_back(std::to_string(n));
  field("muc#roomconfig_maxusers", "list-single", "Most occupants", {std::to_string(c.max_users)}, sizes);
  field("muc#roomconfig_allowpm", "list-single", "Who may send private messages", {c.allow_pm},
        {"anyone", "participants", "moderators", "none"});
  field("muc#roomconfig_changesubject", "boolean", "Participants may change the subject", b(c.change_subject));
  field("muc#roomconfig_allowinvites", "boolean", "Participants may invite others", b(c.allow_invites));
  field("muc#maxhistoryfetch", "text-single", "Messages of history sent on join", {std::to_string(c.history_length)});
  field("muc#roomconfig_enablelogging", "boolean", "Keep an archive of the room (XEP-0313)", b(c.logging));
  field("muc#roomconfig_presencebroadcast", "list-multi", "Roles whose presence is broadcast",
        broadcast_names(c.presence_broadcast), {"moderator", "participant", "visitor"});
  return x;
}

bool apply_config_form(room_config& c, const element& x, unsigned max_occupants) {
  room_config n = c;
  for (const auto& f : x.children) {
    if (f.is_text() || f.name != "field") continue;
    const std::string var = f.get("var");
    std::vector<std::string> values;
    for (const auto& v : f.children)
      if (!v.is_text() && v.name == "value") values.push_back(v.body());
    const std::string v = values.empty() ? std::string() : values.front();
    auto boolean = [&](bool& out) {
      auto b = parse_bool(v);
      if (!b) return false;
      out = *b;
      return true;
    };
    bool ok = true;
    if (var == "muc#roomconfig_roomname") n.title = one_line(v);
    else if (var == "muc#roomconfig_roomdesc") n.description = one_line(v);
    else if (var == "muc#roomconfig_persistentroom") ok = boolean(n.persistent);
    else if (var == "muc#roomconfig_publicroom") ok = boolean(n.is_public);
    else if (var == "muc#roomconfig_membersonly") ok = boolean(n.members_only);
    else if (var == "muc#roomconfig_passwordprotectedroom") ok = boolean(n.password_protected);
    else if (var == "muc#roomconfig_roomsecret") n.password = one_line(v);
    else if (var == "muc#roomconfig_moderatedroom") ok = boolean(n.moderated);
    else if (var == "muc#roomconfig_whois") {
      if (v != "anyone" && v != "moderators") ok = false;
      n.whois_anyone = v == "anyone";
    } else if (var == "muc#roomconfig_maxusers") {
      // "none" (no limit) means the server's limit.
      auto u = v == "none" ? std::optional<unsigned>(max_occupants) : parse_uint(v);
      if (!u || *u < 1) ok = false;
      else n.max_users = std::min(*u, max_occupants);
    } else if (var == "muc#roomconfig_allowpm") {
      if (v != "anyone" && v != "participants" && v != "moderators" && v != "none") ok = false;
      n.allow_pm = v;
    } else if (var == "muc#roomconfig_changesubject") ok = boolean(n.change_subject);
    else if (var == "muc#roomconfig_allowinvites") ok = boolean(n.allow_invites);
    else if (var == "muc#maxhistoryfetch" || var == "muc#roomconfig_historylength") {
      auto u = parse_uint(v);
      if (!u) ok = false;
      else n.history_length = std::min(*u, 1000u);
    } else if (var == "muc#roomconfig_enablelogging") ok = boolean(n.logging);
    else if (var == "muc#roomconfig_presencebroadcast") {
      // XEP-0045 §15.5.3 list-multi; no value at all means nobody's presence is broadcast.
      auto mask = broadcast_mask(values);
      if (!mask) ok = false;
      else n.presence_broadcast = *mask;
    }
    if (!ok) return false;
  }
  // §10.2: a password-protected room without a password cannot be joined by anyone.
  if (n.password_protected && n.password.empty()) return false;
  if (!n.password_protected) n.password.clear();
  c = n;
  return true;
}

}  // namespace hearth::xmpp::muc
