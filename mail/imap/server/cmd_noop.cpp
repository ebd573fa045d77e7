// NOOP (RFC 9051 §6.1.2) and CHECK (RFC 3501 §6.4.1; RFC 9051 dropped it for NOOP): the
// dispatcher sends the pending updates after every command, so nothing is left to do.
#include "mail/imap/server/commands.hpp"

namespace hearth::mail::imap {

void op_noop(session_state&, const command& cmd, reply& r) { r.ok(cmd.name + " completed"); }

}  // namespace hearth::mail::imap
