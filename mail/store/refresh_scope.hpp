// For an IMAP command that writes to the mailbox it has selected: the refresh that ends the
// command (store::changes_since of that mailbox) read in the write's own commit.
#pragma once
#include <cstdint>
#include <memory>
#include <string_view>

namespace hearth::mail {

class store;

// While it lives, a write of `s` on this thread to the account's mailbox reads, on PostgreSQL,
// the mailbox's changes since `since` just before its COMMIT, in the commit's round trip (the
// write's transaction is open and its lock held there anyway); the next changes_since of that
// mailbox on this thread from `since` or later is then answered from what it read instead of
// costing a round trip of its own. A later write to the mailbox reads them again, so the
// answer is never older than the command's last write. Nothing on SQLite (a read costs no
// round trip there), or for a store that is not the SQL one. Same thread rules as read_scope:
// keep it to a synchronous block; scopes nest, the innermost one counts.
class refresh_scope {
 public:
  refresh_scope(store& s, std::string_view account, std::string_view mailbox, std::uint64_t since);
  ~refresh_scope();
  refresh_scope(const refresh_scope&) = delete;
  refresh_scope& operator=(const refresh_scope&) = delete;

  struct state;

 private:
  std::unique_ptr<state> state_;
};

}  // namespace hearth::mail
