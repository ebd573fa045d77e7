// One XEP-0045 room, sans I/O: its configuration, affiliations, occupants, subject and recent
// history, and the rules that turn a stanza from a user into the stanzas the room sends
// (presence fan-out, message reflection, kicks and bans, configuration). The service
// (service.cpp) owns the locking, the store and the sockets; it hands each stanza to a room and
// sends what comes back.
//
// Thread-compatible: one room is used by one thread at a time (the service's room lock).
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "xmpp/stream/jid.hpp"
#include "xmpp/stream/xml.hpp"

namespace hearth::xmpp::muc {

inline constexpr std::string_view ns_muc = "http://jabber.org/protocol/muc";
inline constexpr std::string_view ns_user = "http://jabber.org/protocol/muc#user";
inline constexpr std::string_view ns_admin = "http://jabber.org/protocol/muc#admin";
inline constexpr std::string_view ns_owner = "http://jabber.org/protocol/muc#owner";
inline constexpr std::string_view ns_occupant_id = "urn:xmpp:occupant-id:0";
inline constexpr std::string_view ns_data = "jabber:x:data";
inline constexpr std::string_view ns_register = "jabber:iq:register";
inline constexpr std::string_view ns_request = "http://jabber.org/protocol/muc#request";

// XEP-0045 §5.2 affiliations (ordered: a higher one has every right of a lower one) and §5.1 roles.
enum class affiliation { outcast, none, member, admin, owner };
enum class role { none, visitor, participant, moderator };
std::string_view name_of(affiliation a);
std::string_view name_of(role r);
std::optional<affiliation> parse_affiliation(std::string_view s);
std::optional<role> parse_role(std::string_view s);

// muc#roomconfig (XEP-0045 §10.2, §15.5.3).
struct room_config {
  std::string title, description;
  bool persistent = false;
  bool is_public = true;        // listed in the service's disco#items
  bool members_only = false;
  bool password_protected = false;
  std::string password;
  bool moderated = false;        // only participants and above may speak
  bool whois_anyone = false;     // non-anonymous: everyone sees real JIDs (else moderators only)
  unsigned max_users = 200;
  std::string allow_pm = "anyone";  // anyone | participants | moderators | none
  bool change_subject = false;   // participants may change the subject (moderators always may)
  bool allow_invites = false;    // participants may invite to a members-only room
  unsigned history_length = 20;  // messages sent on join at most
  bool logging = true;           // the room's archive (XEP-0313) is kept and queryable
  // muc#roomconfig_presencebroadcast (ejabberd's presence_broadcast): the roles whose presence
  // the other occupants get, as a mask of role_bit(). A large room lists only moderators, so a
  // join costs the newcomer's own presence instead of one presence per occupant each way.
  unsigned presence_broadcast = 0b1110;
  static constexpr unsigned role_bit(role r) { return 1u << static_cast<unsigned>(r); }
  bool broadcasts(role r) const { return (presence_broadcast & role_bit(r)) != 0; }
  // A line-per-key text form for the store; parse() ignores unknown keys (forward compatible).
  std::string serialize() const;
  static room_config parse(std::string_view text);
};

// The muc#roomconfig form with the current values (XEP-0045 §10.2).
element config_form(const room_config& c, unsigned max_occupants);
// Applies a submitted form; returns false (config unchanged) when a value is invalid.
bool apply_config_form(room_config& c, const element& x, unsigned max_occupants);

struct limits {
  unsigned max_occupants = 10000;   // hard cap over room_config::max_users
  double messages_per_second = 10;  // per occupant, bursts of 4x; 0 = no limit
};

// Given to each call: the time and a source of unique ids (kept outside so tests fix them).
struct context {
  std::int64_t now_us = 0;
  std::function<std::string()> new_id;
};

struct occupant {
  std::string nick;
  jid real;                 // the user's full JID
  role r = role::participant;
  element presence;         // the last presence the user sent, without the muc payload
  std::string id;           // XEP-0421 occupant id (computed once: every presence carries it)
  bool shown = false;       // the others have been sent its presence (its role is broadcast)
  double tokens = 0;        // message rate bucket
  std::int64_t tokens_at_us = 0;
};

struct history_entry {
  std::int64_t stamp_us = 0;
  element msg;  // as reflected (from=room/nick, stanza-id), without to=
};

struct affiliation_entry {
  affiliation a = affiliation::none;
  std::string nick;    // reserved nick (members and above)
  std::string reason;  // for outcasts
};

// What the service does after the room handled a stanza.
struct outcome {
  std::vector<element> out;         // stanzas to send, to= set
  bool save = false;                // stored state changed (config, affiliations, subject)
  std::optional<element> archive;   // a reflected groupchat message for the room's archive
  std::string archive_id;           // its stanza-id
  bool destroyed = false;           // destroyed by its owner, or temporary and now empty
  bool created = false;             // this stanza created the room
};

class room {
 public:
  // `jid` is the room's bare JID; `secret` keys its occupant ids (XEP-0421).
  room(jid room_jid, std::string secret, limits l) : jid_(std::move(room_jid)), secret_(std::move(secret)), limits_(l) {}

  const jid& address() const { return jid_; }
  room_config& config() { return config_; }
  const room_config& config() const { return config_; }
  // Non-const access may change reserved nicks: the index is rebuilt on the next join.
  std::map<std::string, affiliation_entry>& affiliations() {
    reserved_dirty_ = true;
    return affiliations_;
  }
  const std::map<std::string, occupant>& occupants() const { return occupants_; }
  std::string subject, subject_from;  // subject_from: the nick (or "" for the room)
  bool locked = false;                // created, awaiting its owner's configuration (§10.1.1)
  std::deque<history_entry>& history() { return history_; }
  void trim_history();

  affiliation affiliation_of(std::string_view bare) const;
  const occupant* occupant_by_jid(std::string_view full) const;
  bool empty() const { return occupants_.empty(); }
  // Makes `creator` the owner of a new, locked room (its first presence then joins it).
  void create(const jid& creator);
  // XEP-0421: a stable id per real bare JID in this room, opaque to others.
  std::string occupant_id(std::string_view bare) const;

  // Presence addressed to room/nick from `from` (XEP-0045 §7.2 join, §7.6 nick change, §7.14 exit).
  outcome on_presence(const element& p, const jid& from, const jid& to, const context& ctx);
  // Messages to the room (groupchat §7.4, subject §8.1, invitations §7.8) or to room/nick (§7.5 PM).
  outcome on_message(const element& m, const jid& from, const jid& to, const context& ctx);
  // iqs to the bare room: muc#admin (§8-9), muc#owner (§10), disco (§6). Others: nullopt.
  std::optional<outcome> on_iq(const element& iq, const jid& from, const context& ctx);
  // The occupant's session is gone (delivery failed, or an error came back): it leaves.
  outcome occupant_gone(std::string_view full);
  // Seats an occupant as the room's previous home node left it (several nodes): no stanza is
  // sent, the others saw it join there.
  void restore(std::string nick, jid real, role r, element presence);
  // Several nodes: when on, the room keeps the nicks of the occupants seated, changed (role,
  // presence, nick) or gone since the last take_changed(), so that the service writes only
  // those to the store, and a temporary room asks for its state to be saved as a persistent
  // one does (outcome::save). Off (one node), nothing is kept.
  void track_changes(bool on) {
    track_ = on;
    if (!on) changed_.clear();
  }
  std::vector<std::string> take_changed();
  // Destroys the room: every occupant gets unavailable with <destroy/> (§10.9).
  outcome destroy(std::string_view reason, const std::string& alternate);
  // Who may read the archive (XEP-0313 §5 on a MUC): occupants, and members of members-only rooms.
  bool may_read_archive(const jid& from) const;
  // disco#info (§6.4) and the disco#items of the room for `from`.
  element disco_info() const;

 private:
  occupant* find_nick(std::string_view nick);
  occupant* find_jid(std::string_view full);
  role default_role(affiliation a) const;
  bool may_see_jid(const occupant* viewer) const;
  // The presence of `o` as `viewer` sees it (from room/nick, item with affiliation and role).
  element presence_of(const occupant& o, const occupant& viewer, std::vector<int> codes, bool unavailable,
                      const std::string& new_nick = {}, const element* extra_item_children = nullptr) const;
  void broadcast_presence(outcome& res, occupant& o, const std::vector<int>& codes_self,
                          const std::vector<int>& codes_all, bool unavailable, const std::string& new_nick = {},
                          const element* item_children = nullptr);
  void join(outcome& res, const element& p, const jid& from, const std::string& nick, const context& ctx);
  void send_history(outcome& res, const occupant& o, const element* x, const context& ctx);
  // The presences of the shown occupants (all but `viewer`), to `viewer`.
  void send_shown(outcome& res, const occupant& viewer);
  void remove(outcome& res, const std::string& nick, std::vector<int> codes, const element* item_children);
  outcome admin_set(const element& iq, const element& q, const occupant* actor, affiliation actor_aff);
  outcome admin_get(const element& iq, const element& q, affiliation actor_aff, const occupant* actor);
  outcome owner_iq(const element& iq, const element& q, affiliation actor_aff);
  void set_affiliation(outcome& res, const std::string& bare, affiliation a, const std::string& reason,
                       const std::string& actor_nick);
  bool rate_ok(occupant& o, std::int64_t now_us);
  outcome invite(const element& m, const jid& from, const element& x);
  // §7.10: registration with the room (a member with a reserved nick).
  outcome register_iq(const element& iq, const element& q, const jid& from);
  // §7.13 / §8.6: a visitor asks for voice; a moderator approves.
  outcome voice_request(const element& m, occupant* me, const element& x, const context& ctx);

  jid jid_;
  std::string secret_;
  limits limits_;
  room_config config_;
  std::map<std::string, affiliation_entry> affiliations_;  // by bare JID
  std::map<std::string, occupant> occupants_;              // by nick
  std::unordered_map<std::string, std::string> nick_of_;   // full real JID -> nick (occupants_ index)
  std::set<std::string> shown_;                            // nicks of the occupants with shown set
  // Reserved nick -> the bare JIDs that reserved it (§7.10), so a join does not walk every
  // affiliation of a large members-only room; rebuilt lazily after affiliations change.
  std::unordered_map<std::string, std::set<std::string>> reserved_;
  bool reserved_dirty_ = true;
  // True when `nick` is reserved by someone other than `bare`.
  bool reserved_by_other(const std::string& nick, const std::string& bare);
  occupant& add_occupant(occupant o);
  void erase_occupant(const std::string& nick);
  std::deque<history_entry> history_;
  bool track_ = false;
  std::set<std::string> changed_;  // nicks, while track_
  // Whether the service stores the room's state: a persistent room always; a temporary one
  // while another node may have to take it over (track_), until it empties.
  bool stored() const { return config_.persistent || track_; }
  void changed(const std::string& nick) {
    if (track_) changed_.insert(nick);
  }
};

// Stanza helpers shared with the service and the room's files.
element result_reply(const element& iq, std::optional<element> payload = std::nullopt);
outcome one(element e);
element error_reply(const element& stanza, std::string_view type, std::string_view condition, std::string_view text = {});

}  // namespace hearth::xmpp::muc
