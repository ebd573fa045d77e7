// RENAME (RFC 9051 §6.3.6; RFC 4314 §4: in another user's namespace, "x" on the old name and
// "k" on the new name's parent).
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/mailbox_names.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {

void op_rename(session_state& st, const command& cmd, reply& r) {
  const auto& m = std::get<cmd_rename>(cmd.args);
  auto from = target_of(st, strip_delimiter(m.from), name_use::remove, r);
  if (!from) return;
  auto to = target_of(st, strip_delimiter(m.to), name_use::create, r);
  if (!to) return;
  // A mailbox belongs to one account and its quota: moving it to another would be a copy of
  // every message, which COPY/MOVE already offer.
  if (from->owner != to->owner) return r.no("[CANNOT] A mailbox cannot be renamed into another user's namespace");
  // The grants follow the mailbox and its inferiors (mail/store/acl.hpp).
  auto res = st.env->store->rename(from->owner, from->name, to->name);
  if (!res) return fail(r, res.error());
  r.ok("RENAME completed");
}

}  // namespace hearth::mail::imap
