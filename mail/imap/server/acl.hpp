// Shared mailboxes (RFC 4314 ACL, RFC 2342 NAMESPACE): how a name the client sends becomes a
// mailbox of some account with the session's rights on it.
//
// Other users' mailboxes are under "shared/OWNER/NAME", Dovecot's default prefix for its
// shared namespace (its documented `prefix = shared/%u/`), announced in NAMESPACE as
// (("shared/" "/")). A mailbox appears there only when the ACL store grants the session's user
// (or "anyone") the right to see it; any other name under "shared/" answers as if it did not
// exist (RFC 4314 §6: never reveal a mailbox to someone without "l" or "r").
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/util/result.hpp"
#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

inline constexpr std::string_view shared_prefix = "shared/";
// RFC 4314 §2.1: every right Hearth knows, in the order it writes them. The owner holds all.
inline constexpr std::string_view all_rights = "lrswipkxtea";

// Validates a rights string (RFC 4314 §2.1, the obsolete "c" and "d" of §2.1.1 included) and
// returns it canonical: letters of all_rights, in that order, no duplicates. "c" is "k" and
// "d" is "xte" (the second reading §2.1.1 allows, which RIGHTS=texk announces).
// nullopt: a letter that is no right.
std::optional<std::string> canonical_rights(std::string_view given);
// The rights in either, canonical.
std::string union_rights(std::string_view a, std::string_view b);
inline bool has_right(std::string_view rights, char r) { return rights.find(r) != std::string_view::npos; }

struct mailbox_ref {
  std::string owner;    // the account whose store holds it
  std::string name;     // its name in that store ("" only before the store is asked)
  std::string rights;   // the session user's rights on it
  bool shared = false;  // another user's mailbox, named under shared_prefix
  std::string display;  // the name as the session shows it
};

// Resolves a mailbox name the client sent. An own mailbox (any name outside shared_prefix) is
// returned without asking the store whether it exists. A shared one must be granted with "l"
// or "r": otherwise, and for "shared/", "shared/OWNER" and the user's own address as OWNER,
// the error is "mail.no_mailbox". Errors from the ACL store pass through.
result<mailbox_ref> resolve_mailbox(const session_state& st, std::string_view name);

// "NO [NOPERM] ..." on r when `ref` lacks `right`; returns whether it has it.
bool require_right(const mailbox_ref& ref, char right, reply& r);

}  // namespace hearth::mail::imap
