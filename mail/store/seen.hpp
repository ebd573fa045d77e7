// Per-user \Seen on shared mailboxes (as Dovecot's INDEXPVT and Cyrus's per-user seen state):
// when a mailbox is shared (acl.hpp), each sharee's \Seen is their own. The owner's \Seen stays
// in the message's flags (store.hpp), so an unshared mailbox never touches this store; this one
// holds the other users' state, keyed by (mailbox, uid, user).
//
// CONDSTORE (RFC 7162): a change here takes the mailbox's next modseq, from the same counter as
// the store's own changes, so HIGHESTMODSEQ covers it and the user's modseq of a message is the
// greater of the message's and the user's entry's. The owner sees HIGHESTMODSEQ move with no
// message changed, which RFC 7162 §3.1.1 allows.
//
// Entries go with their message (expunge, MOVE's source) and their mailbox (DELETE); RENAME
// keeps them. They also go with their reader's right to read: removing the account from the
// directory drops them (a foreign key on the directory's accounts, so open the directory
// before this store), and so does a grant change that leaves the user without 'r'
// (drop_unreadable(), which whoever changes a grant calls after it: a sharee whose access comes
// back later starts with nothing seen, as a new sharee does). A user with no entry for a message
// has not seen it.
//
// Thread-safe: each thread uses its own connection. Writes commit before returning (not fsync'd,
// as the store's flag changes). After a change, "mail.changed" (key = owner, data = mailbox) is
// published on the bus when one is given, as the store does for its own flag changes.
// Errors (hearth::error code): "mail.no_mailbox" (the owner has no such mailbox), "db.*".
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/store/store.hpp"

namespace hearth::events {
class bus;
}

namespace hearth::mail {

struct seen_entry {
  std::uint32_t uid = 0;
  bool seen = false;
  std::uint64_t modseq = 0;  // when the user last changed it
};

class seen_store {
 public:
  // Opens the database (after store::open has made the mailboxes and messages tables) and runs
  // the "mail_seen" migrations (seen_sql.cpp). `target`: a SQLite file path or a PostgreSQL URL,
  // as sql::open takes. `bus` is optional and must outlive the store.
  // Errors: "db.open", "db.schema_newer", "db.migration".
  static result<std::unique_ptr<seen_store>> open(const std::string& target, events::bus* bus = nullptr);
  virtual ~seen_store() = default;

  // The user's entries on the owner's mailbox changed after `since` (0: all) with a uid in
  // `uids`, ascending by uid, for messages still there. Errors: none for an unknown mailbox (an
  // empty list).
  virtual result<std::vector<seen_entry>> entries(std::string_view owner, std::string_view mailbox,
                                                  std::string_view user, std::uint64_t since = 0,
                                                  uid_range uids = {}) = 0;
  // Marks (seen) or unmarks the messages `uids` (ascending) for the user. Only those whose state
  // changes are written, with one new modseq; uids with no message are ignored. Returns the
  // changed entries, ascending. Errors: no_mailbox.
  virtual result<std::vector<seen_entry>> set(std::string_view owner, std::string_view mailbox, std::string_view user,
                                              const std::vector<std::uint32_t>& uids, bool seen) = 0;
  // After a grant on the owner's mailbox changed (acl.hpp): drops the entries of every user who
  // can no longer read it, i.e. has 'r' neither in a grant naming them nor in "anyone"'s.
  // Idempotent, so calling it again after a crash between the grant and this is enough.
  // Returns how many entries went. Errors: none for an unknown mailbox (nothing to drop).
  virtual result<std::size_t> drop_unreadable(std::string_view owner, std::string_view mailbox) = 0;
  // How many messages of the mailbox the user has seen (STATUS UNSEEN is the rest).
  virtual result<std::uint32_t> count_seen(std::string_view owner, std::string_view mailbox,
                                           std::string_view user) = 0;
};

}  // namespace hearth::mail
