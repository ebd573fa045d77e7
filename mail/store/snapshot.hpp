// For a caller that reads the store several times in a row on one thread (an IMAP command: its
// handler, then the refresh of the selected mailbox): one read snapshot for all of it.
#pragma once
#include <optional>

#include "core/sql/snapshot.hpp"

namespace hearth::mail {

class store;

// While it lives, every call of `s` on this thread reads one state of the database, and on
// SQLite takes the file's locks once instead of once per statement (core/sql/snapshot.hpp).
// A write through the store ends it first, so a command that writes needs no care: its write
// commits as durably as without the scope. Nothing on PostgreSQL, or for a store that is not
// the SQL one. Same thread rules as sql::read_snapshot: keep it to a synchronous block.
class read_scope {
 public:
  explicit read_scope(store& s);
  read_scope(const read_scope&) = delete;
  read_scope& operator=(const read_scope&) = delete;

 private:
  std::optional<sql::read_snapshot> snapshot_;
};

}  // namespace hearth::mail
