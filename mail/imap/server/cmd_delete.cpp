// DELETE (RFC 9051 §6.3.5; RFC 4314 §4: another user's mailbox needs "x" on it).
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/mailbox_names.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {

void op_delete(session_state& st, const command& cmd, reply& r) {
  const auto& m = std::get<cmd_mailbox>(cmd.args);
  auto t = target_of(st, strip_delimiter(m.mailbox), name_use::remove, r);
  if (!t) return;
  // The mailbox's grants go with it (mail/store/acl.hpp).
  auto res = st.env->store->remove(t->owner, t->name);
  if (!res) return fail(r, res.error());
  r.ok("DELETE completed");
}

}  // namespace hearth::mail::imap
