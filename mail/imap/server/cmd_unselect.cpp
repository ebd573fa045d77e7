// UNSELECT (RFC 3691).
#include "mail/imap/server/commands.hpp"

namespace hearth::mail::imap {

void op_unselect(session_state& st, const command&, reply& r) {
  st.sel.reset();
  st.ph = phase::authenticated;
  r.ok("UNSELECT completed");
}

}  // namespace hearth::mail::imap
