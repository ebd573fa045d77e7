// LOGOUT (RFC 9051 §6.1.3): BYE first, then the tagged OK; the session closes.
#include "mail/imap/server/commands.hpp"

namespace hearth::mail::imap {

void op_logout(session_state& st, const command&, reply& r) {
  r.untagged("BYE Logging out");
  st.ph = phase::logout;
  r.act = action::logout;
  r.ok("LOGOUT completed");
}

}  // namespace hearth::mail::imap
