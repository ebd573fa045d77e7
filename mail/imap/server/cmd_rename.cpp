// RENAME (RFC 9051 §6.3.6).
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/mailbox_names.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {

void op_rename(session_state& st, const command& cmd, reply& r) {
  const auto& m = std::get<cmd_rename>(cmd.args);
  if (!own_name(st, m.from, r) || !own_name(st, m.to, r)) return;
  auto res = st.env->store->rename(st.account, strip_delimiter(m.from), strip_delimiter(m.to));
  if (!res) return fail(r, res.error());
  r.ok("RENAME completed");
}

}  // namespace hearth::mail::imap
