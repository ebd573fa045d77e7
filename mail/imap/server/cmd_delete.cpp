// DELETE (RFC 9051 §6.3.5).
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/mailbox_names.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {

void op_delete(session_state& st, const command& cmd, reply& r) {
  const auto& m = std::get<cmd_mailbox>(cmd.args);
  if (!own_name(st, m.mailbox, r)) return;
  auto res = st.env->store->remove(st.account, strip_delimiter(m.mailbox));
  if (!res) return fail(r, res.error());
  r.ok("DELETE completed");
}

}  // namespace hearth::mail::imap
