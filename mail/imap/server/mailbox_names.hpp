// The rules for mailbox names that CREATE, DELETE, RENAME and [UN]SUBSCRIBE share: a trailing
// delimiter, and names under the shared prefix, which belong to another user.
#pragma once
#include <string>
#include <string_view>

#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

// RFC 9051 §6.3.4: a trailing delimiter only says the client intends to create children.
// `n` without its trailing "/"s ("/" alone stays).
std::string strip_delimiter(std::string n);

// The mailboxes of other users are theirs to create, delete, rename and subscribe to: a name
// under the shared prefix answers NO, NONEXISTENT unless granted (never revealing a mailbox),
// NOPERM when it is. True when `name` is the session's own; false after writing the answer on r.
bool own_name(const session_state& st, std::string_view name, reply& r);

}  // namespace hearth::mail::imap
