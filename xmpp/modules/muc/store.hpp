// The durable state of group chat: rooms (configuration, subject, affiliations, vCard) and
// each room's message archive (XEP-0313 on the room JID). On one node temporary rooms are
// not stored. With several nodes, the room's home node also stores its temporary rooms (their
// configuration says so; they go when they empty) and writes who is seated in each room
// (occupants), so that another node can take any room over with its occupants when that node
// dies.
//
// Errors: a database failure throws hearth::error_exception (the service answers
// internal-server-error). Thread-safety: every method may be called from any thread.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "xmpp/store/store.hpp"

namespace hearth::xmpp::muc {

struct stored_affiliation {
  std::string jid;          // bare
  std::string affiliation;  // "owner" | "admin" | "member" | "outcast"
  std::string nick;         // reserved nick, may be empty
  std::string reason;
};

struct stored_room {
  std::string jid;     // the room's bare JID
  std::string config;  // room_config::serialize()
  std::string subject, subject_from;
  std::vector<stored_affiliation> affiliations;
};

// One seated occupant as the room's home node last wrote it.
struct stored_occupant {
  std::string nick;
  std::string jid;       // the user's full JID
  std::string role;      // name_of(role)
  std::string presence;  // the last presence the user sent, serialized
};

// A room where a full JID is seated.
struct seat {
  std::string room;  // the room's bare JID
  std::string nick;
};

class muc_store {
 public:
  virtual ~muc_store() = default;
  // Every stored room of the service `domain`, temporary ones included.
  virtual std::vector<stored_room> rooms(std::string_view domain) = 0;
  // One stored room; nullopt when it is not stored (temporary on one node, or destroyed).
  virtual std::optional<stored_room> room(std::string_view room_jid) = 0;
  // Inserts or replaces the room and its affiliations (durably).
  virtual void save_room(const stored_room& r) = 0;
  // Forgets the room, its archive and its occupants.
  virtual void delete_room(std::string_view room_jid) = 0;
  // The archive: `a.with` holds the sender's nick. Durable when it returns. `origin` names
  // the stanza archived when another node sent it and holds it (hub held_key::key), in the
  // same row, so that a resent copy is known for as long as the message is archived.
  virtual void archive_add(std::string_view room_jid, const archived& a, std::string_view origin = {}) = 0;
  // Whether one of the room's last `recent` archived messages came with `origin`. Bounded so
  // that the check never walks a long archive: a stanza is resent within seconds of its first
  // handling (hub::cluster_options::hold_for), after which little can have followed it.
  virtual bool archived_origin(std::string_view room_jid, std::string_view origin, std::size_t recent = 5000) = 0;
  virtual archive_page archive_find(std::string_view room_jid, const archive_query& q) = 0;
  // The last `n` archived messages, oldest first (history after a restart).
  virtual std::vector<archived> archive_last(std::string_view room_jid, std::size_t n) = 0;
  // The room's vCard (XEP-0054 on the room JID, for its avatar, XEP-0486); "" when none.
  virtual std::string vcard(std::string_view room_jid) = 0;
  virtual void set_vcard(std::string_view room_jid, std::string_view xml) = 0;
  // Occupants, written only with several nodes: `occupant_put` inserts or replaces one by nick,
  // `occupant_drop` removes one (nothing when absent). Autocommit: a seat lost to a power cut
  // costs a rejoin, not a message.
  virtual void occupant_put(std::string_view room_jid, const stored_occupant& o) = 0;
  virtual void occupant_drop(std::string_view room_jid, std::string_view nick) = 0;
  // The occupants of a room, by nick.
  virtual std::vector<stored_occupant> occupants(std::string_view room_jid) = 0;
  // The rooms where `full` is seated.
  virtual std::vector<seat> seats_of(std::string_view full) = 0;
};

// Opens the store on `target`, a SQLite file (DATA_DIR/xmpp.db) or a PostgreSQL URL (see
// sql::open), and brings its tables (migration component "muc") up to date.
// Errors: "db.open", "db.migration", "db.schema_newer".
result<std::unique_ptr<muc_store>> open_store(const std::string& target);

}  // namespace hearth::xmpp::muc
