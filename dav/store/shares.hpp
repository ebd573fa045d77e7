// Shared calendars and address books: which account may use which collection of another
// account, with which access, and under which name it appears in the sharee's home.
//
// The collection itself stays in the owner's home (dav/store/store.hpp); a share only points at
// it by id, so a share disappears with its collection (deleted, or moved to another name) and
// never reattaches to a new collection that happens to take the old name.
//
// One implementation on core/sql (sql_shares.cpp), in the same database as the collections:
// SQLite or PostgreSQL. Thread-safe: each thread uses its own connection. Writes commit durably
// before returning. Errors (hearth::error code): "dav.not_found" (no such collection), "db.*"
// storage failures (core/sql/sql.hpp).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/util/result.hpp"
#include "dav/store/store.hpp"

namespace hearth::dav {

// RFC 3744 terms: read = DAV:read; write = DAV:read + DAV:write (objects only: the collection's
// properties and its sharing stay the owner's).
enum class share_access { none = 0, read = 1, write = 2 };

// CalendarServer's invitation round: a share made by the owner's client is an invitation until
// the sharee answers (invite-reply); only accepted shares appear in the sharee's home. Shares
// made by the admin (`hearth share`) or the ACL method are accepted from the start.
enum class share_state { accepted = 0, invited = 1, declined = 2 };

struct share {
  std::int64_t coll_id = 0;
  std::string owner;
  dav::kind kind = kind::calendar;
  std::string coll_name;  // the collection's name in the owner's home
  std::string sharee;     // account address
  share_access access = share_access::read;
  std::string mount;      // the collection's name in the sharee's home
  share_state state = share_state::accepted;
  std::string uid;        // the invitation's id (CS:uid, CS:in-reply-to); "" for a direct share
};

class share_store {
 public:
  // Opens the database (a SQLite path or a PostgreSQL URL, as store::open takes; after
  // store::open has made the collections table there) and runs the "dav_shares" migrations.
  static result<std::unique_ptr<share_store>> open(const std::string& target);
  virtual ~share_store() = default;

  // Grants (or changes) `sharee`'s access to collection `c`; access none revokes. A new share
  // gets a mount name "<owner>~<collection name>" unique in the sharee's home (`taken` says
  // whether the sharee already uses a name for a collection of their own). Returns the share
  // (access none: the one removed, or nullopt when there was none).
  virtual result<std::optional<share>> set(const collection& c, const std::string& sharee, share_access access,
                                           const std::function<bool(const std::string&)>& taken) = 0;
  // Invites `sharee` (a share in state invited, with a new uid, not in their home yet); an
  // accepted share only has its access changed; a declined one is invited again. access none
  // is not an invitation: use set(). Returns the share.
  virtual result<share> invite(const collection& c, const std::string& sharee, share_access access,
                               const std::function<bool(const std::string&)>& taken) = 0;
  // The sharee's answer to invitation `uid`: accepted (the share appears in their home) or
  // declined. nullopt when `sharee` has no invitation with that uid waiting for an answer.
  virtual result<std::optional<share>> answer(const std::string& sharee, const std::string& uid, bool accept) = 0;
  // The invitations `sharee` has not answered yet (their notification collection), by uid.
  virtual result<std::vector<share>> invitations(const std::string& sharee) = 0;
  // The shares of one collection, by sharee, whatever their state.
  virtual result<std::vector<share>> of_collection(std::int64_t coll_id) = 0;
  // Everything `sharee` has been given and accepted of kind k, by mount name.
  virtual result<std::vector<share>> for_sharee(const std::string& sharee, kind k) = 0;
  // The accepted share mounted as `mount` in the sharee's home of kind k.
  virtual result<std::optional<share>> find_mount(const std::string& sharee, kind k, const std::string& mount) = 0;
  // Every share whose collection `owner` owns (the CLI's list), by collection then sharee.
  virtual result<std::vector<share>> of_owner(const std::string& owner) = 0;
};

}  // namespace hearth::dav
