// IDLE (RFC 2177): the session waits for DONE and sends the updates meanwhile.
#include "mail/imap/server/commands.hpp"

namespace hearth::mail::imap {

void op_idle(session_state&, const command&, reply& r) { r.act = action::idle; }

}  // namespace hearth::mail::imap
