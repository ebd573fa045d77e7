// Shared mailboxes (RFC 4314 ACL): which identifier holds which rights on which mailbox of
// another account. The mailbox stays the owner's (store.hpp); a grant names it by the owner's
// address and the mailbox's current name, and goes with it: deleting the mailbox drops its
// grants, renaming it keeps them, and a new mailbox that takes a deleted one's name starts with
// none.
//
// Rights are stored as given, already validated and canonical (the IMAP layer's rights.hpp):
// letters of "lrswipkxtea" in that order. The owner's own rights are implicit and never stored.
// Identifiers: a normalized account address, or "anyone" (every authenticated user).
//
// Thread-safe: each thread uses its own connection. Writes commit durably before returning.
// Errors (hearth::error code): "mail.no_mailbox" (the owner has no such mailbox), "db.*".
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::mail {

struct acl_grant {
  std::string owner;       // the mailbox's account
  std::string mailbox;     // its name in the owner's store
  std::string identifier;  // an address or "anyone"
  std::string rights;      // canonical, never empty
};

class acl_store {
 public:
  // Opens the database (after store::open has made the mailboxes table) and runs the "mail_acl"
  // migrations (acl_sql.cpp). `target` is a SQLite file path or a PostgreSQL URL, as sql::open
  // takes. Errors: "db.open", "db.schema_newer", "db.migration".
  static result<std::unique_ptr<acl_store>> open(const std::string& target);
  virtual ~acl_store() = default;

  // Sets `identifier`'s rights on the owner's mailbox (replacing them); empty rights remove the
  // entry. Returns whether an entry existed before. Errors: no_mailbox.
  virtual result<bool> set(std::string_view owner, std::string_view mailbox, std::string_view identifier,
                           std::string_view rights) = 0;
  // The entries of one mailbox (GETACL), by identifier. Errors: none for an unknown mailbox
  // (an empty list): the caller has checked that the mailbox exists.
  virtual result<std::vector<acl_grant>> of_mailbox(std::string_view owner, std::string_view mailbox) = 0;
  // Every entry naming `user` or "anyone" on another account's mailboxes (LIST, resolving
  // "shared/OWNER/NAME"), by owner then mailbox; a mailbox with both has two entries.
  virtual result<std::vector<acl_grant>> for_user(std::string_view user) = 0;
  // Every entry on the owner's mailboxes (the CLI's list), by mailbox then identifier.
  virtual result<std::vector<acl_grant>> of_owner(std::string_view owner) = 0;
};

}  // namespace hearth::mail
