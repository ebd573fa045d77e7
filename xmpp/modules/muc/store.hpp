// The durable state of group chat: rooms (configuration, subject, affiliations, vCard) and
// each room's message archive (XEP-0313 on the room JID). Temporary rooms are not stored.
//
// Errors: a database failure throws hearth::error_exception (the service answers
// internal-server-error). Thread-safety: every method may be called from any thread.
#pragma once
#include <cstdint>
#include <memory>
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

class muc_store {
 public:
  virtual ~muc_store() = default;
  // Every stored room of the service `domain`.
  virtual std::vector<stored_room> rooms(std::string_view domain) = 0;
  // Inserts or replaces the room and its affiliations (durably).
  virtual void save_room(const stored_room& r) = 0;
  // Forgets the room and its archive.
  virtual void delete_room(std::string_view room_jid) = 0;
  // The archive: `a.with` holds the sender's nick. Durable when it returns.
  virtual void archive_add(std::string_view room_jid, const archived& a) = 0;
  virtual archive_page archive_find(std::string_view room_jid, const archive_query& q) = 0;
  // The last `n` archived messages, oldest first (history after a restart).
  virtual std::vector<archived> archive_last(std::string_view room_jid, std::size_t n) = 0;
  // The room's vCard (XEP-0054 on the room JID, for its avatar, XEP-0486); "" when none.
  virtual std::string vcard(std::string_view room_jid) = 0;
  virtual void set_vcard(std::string_view room_jid, std::string_view xml) = 0;
};

// Opens the store on `target`, a SQLite file (DATA_DIR/xmpp.db) or a PostgreSQL URL (see
// sql::open), and brings its tables (migration component "muc") up to date.
// Errors: "db.open", "db.migration", "db.schema_newer".
result<std::unique_ptr<muc_store>> open_store(const std::string& target);

}  // namespace hearth::xmpp::muc
