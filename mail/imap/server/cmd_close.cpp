// CLOSE (RFC 9051 §6.4.1).
#include "mail/imap/server/acl.hpp"
#include "mail/imap/server/commands.hpp"
#include "mail/imap/server/view.hpp"

namespace hearth::mail::imap {

void op_close(session_state& st, const command&, reply& r) {
  // RFC 9051 §6.4.1: CLOSE expunges silently (no EXPUNGE responses) unless read-only; RFC 4314
  // §4: only for a user with the "e" right, and without an error for the others.
  if (!st.sel->read_only && has_right(st.sel->rights, 'e')) {
    auto res = st.env->store->expunge(st.sel->owner, st.sel->name);
    if (!res) return fail(r, res.error());
  }
  st.sel.reset();
  st.ph = phase::authenticated;
  r.ok("CLOSE completed");
}

}  // namespace hearth::mail::imap
