// CalDAV/CardDAV storage: collections (calendars, address books), their objects stored as sent
// with indexed fields (UID, component type, first/last instance for time-range pruning), their
// dead properties, and a change log per collection for sync tokens (RFC 6578).
//
// One implementation on core/sql (sql_store.cpp), in the server's database: the SQLite file or
// a PostgreSQL database shared by several nodes (component "dav" of its migrations). Writes
// commit with durability::full before returning (ARCHITECTURE.md principle 3: a PUT
// acknowledged survives power loss). Change numbers are taken under the database's write lock,
// so sync tokens and ctags move the same for every node. Thread-safe: each thread uses its own
// connection. Calls block: run them on the blocking pool.
//
// Errors (hearth::error code):
//   "dav.exists"       create_collection: the name is taken
//   "dav.precondition" If-Match / If-None-Match failed (HTTP 412)
//   "dav.uid_conflict" another object in the collection has this UID; message = its name
//   "dav.not_found"    the collection or object is gone
//   "dav.token"        sync token unknown or from the future (valid-sync-token)
//   "db.*"             storage failures (core/sql/sql.hpp)
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::dav {

enum class kind { calendar = 0, addressbook = 1 };

struct collection {
  std::int64_t id = 0;
  std::string owner;  // account address
  dav::kind kind = kind::calendar;
  std::string name;   // URL segment
  std::string displayname;
  std::string description;
  std::string color;       // Apple calendar-color
  std::string order;       // Apple calendar-order
  std::string timezone;    // calendar-timezone (a VCALENDAR with one VTIMEZONE)
  std::string components = "VEVENT,VTODO";  // supported-calendar-component-set
  std::int64_t seq = 0;    // last change number: the sync token and the ctag
  std::map<std::string, std::string> dead;  // "ns local" -> serialized XML element
};

struct object {
  std::int64_t id = 0;
  std::string name;
  std::string uid;
  std::string etag;  // strong, with quotes
  std::string component;
  std::int64_t first_start = 0;
  std::int64_t last_end = 0;
  std::int64_t modified = 0;  // Unix seconds
  std::int64_t size = 0;      // bytes of data
  std::string data;           // empty unless asked for
};

struct change {
  std::string name;
  bool deleted = false;
  std::int64_t seq = 0;  // the change number of this name's latest change
};

struct new_object {
  std::string name, data, uid, component;
  std::int64_t first_start = 0, last_end = 0;
};

class store {
 public:
  // Opens the database (a SQLite file path, created if need be, or a PostgreSQL URL, as
  // sql::open takes) and runs the "dav" migrations.
  static result<std::unique_ptr<store>> open(const std::string& target);
  virtual ~store() = default;

  // Creates the default calendar ("Personal", VEVENT+VTODO) and address book ("Contacts") the
  // first time an account is seen; later calls cost one indexed read.
  virtual result<void> ensure_defaults(const std::string& owner) = 0;

  virtual result<std::vector<collection>> collections(const std::string& owner, kind k) = 0;
  virtual result<std::optional<collection>> find_collection(const std::string& owner, kind k, const std::string& name) = 0;
  virtual result<collection> create_collection(collection c) = 0;
  // Saves the properties (displayname ... dead) of an existing collection.
  virtual result<void> update_collection(const collection& c) = 0;
  virtual result<void> delete_collection(std::int64_t id) = 0;
  // COPY/MOVE of a whole collection inside its home (RFC 4918 §9.8, §9.9), in one durable
  // transaction: a new collection `name` (a new id, so sync tokens of the old one stay invalid
  // there) with src's properties and, when `members`, its objects (each logged as a change);
  // `replace` (an existing collection at the destination) deleted first; src deleted when `move`.
  // Errors: "dav.exists" (the name is taken and not replaced), "dav.not_found" (src is gone).
  virtual result<collection> copy_collection(std::int64_t src, const std::string& name, bool members, bool move,
                                             std::optional<std::int64_t> replace) = 0;

  virtual result<std::vector<object>> objects(std::int64_t coll, bool with_data) = 0;
  virtual result<std::optional<object>> find_object(std::int64_t coll, const std::string& name, bool with_data) = 0;
  // Objects of `component` whose indexed span may overlap [start, end).
  virtual result<std::vector<object>> objects_in_range(std::int64_t coll, const std::string& component,
                                                       std::int64_t start, std::int64_t end) = 0;

  struct put_result {
    object obj;
    bool created = false;
  };
  // Creates or replaces. if_match: the current ETag must equal it (and the object exist);
  // if_none_match_star: the object must not exist.
  virtual result<put_result> put_object(std::int64_t coll, const new_object& o, const std::optional<std::string>& if_match,
                                        bool if_none_match_star) = 0;
  // Returns false when there was no such object. if_match as for put_object.
  virtual result<bool> delete_object(std::int64_t coll, const std::string& name, const std::optional<std::string>& if_match) = 0;

  // Imports many objects in one durable transaction (`hearth import`). Per object:
  // created, updated, unchanged (same ETag already there), or conflict (its UID is taken by
  // another object name).
  enum class import_status { created, updated, unchanged, conflict };
  virtual result<std::vector<import_status>> put_batch(std::int64_t coll, const std::vector<new_object>& objs) = 0;

  // One write of a scheduling fan-out (apply_writes): `o` put into collection `coll` (created
  // or replaced, no preconditions) or, when `erase`, the object named `o.name` deleted.
  struct write {
    std::int64_t coll = 0;
    bool erase = false;
    new_object o;
  };
  enum class write_status { done, absent, uid_conflict };
  // Applies the writes in order in ONE durable transaction, so that an organizer's PUT costs one
  // fsync for all its local attendees' inbox items and calendar copies, not two per attendee.
  // Per write: done; absent (a delete of a missing object); uid_conflict (a put whose UID another
  // object of that collection holds: skipped). Any other error (a collection that is gone:
  // "db.constraint" or "dav.not_found"; "db.*") rolls the whole batch back.
  virtual result<std::vector<write_status>> apply_writes(const std::vector<write>& writes) = 0;

  // Changes after `seq`: each name once, with its latest state (deletions included); and the
  // current seq.
  virtual result<std::pair<std::int64_t, std::vector<change>>> changes_since(std::int64_t coll, std::int64_t seq) = 0;
};

// The strong ETag of a body (quoted hex of its SHA-256 prefix).
std::string etag_of(std::string_view data);

}  // namespace hearth::dav
