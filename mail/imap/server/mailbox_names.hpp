// The rules for mailbox names that CREATE, DELETE, RENAME and [UN]SUBSCRIBE share: a trailing
// delimiter, and names under the shared prefix, which are another user's mailboxes.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

// RFC 9051 §6.3.4: a trailing delimiter only says the client intends to create children.
// `n` without its trailing "/"s ("/" alone stays).
std::string strip_delimiter(std::string n);

// Where CREATE, DELETE or RENAME acts: the account whose store holds the mailbox (the session's
// own, or the sharer's for a name under the shared prefix) and the name there.
struct mailbox_target {
  std::string owner;
  std::string name;     // in the owner's store, canonical where the store had it so
  bool shared = false;  // another user's mailbox
};

// What a name needs from the session's rights (RFC 4314 §4): "k" on the parent to create a
// mailbox (CREATE, RENAME's new name), "x" on the mailbox itself to delete it (DELETE,
// RENAME's old name).
enum class name_use { create, remove };

// The target of `name` (trailing delimiters already stripped). An own name needs nothing.
// A shared one must hold the right `use` asks for; a new name at the top of the owner's
// namespace has no parent to grant "k", so only the owner makes those. nullopt after writing
// the answer on r: NO [NONEXISTENT] for a mailbox the user may not see (RFC 4314 §6: never
// reveal one), NO [NOPERM] when the right is missing.
std::optional<mailbox_target> target_of(const session_state& st, std::string_view name, name_use use, reply& r);

}  // namespace hearth::mail::imap
