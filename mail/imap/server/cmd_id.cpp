// ID (RFC 2971).
#include "mail/imap/server/commands.hpp"

namespace hearth::mail::imap {

void op_id(session_state&, const command&, reply& r) {
  // RFC 2971: the server may answer NIL; a name and version help client bug reports.
  r.untagged("ID (\"name\" \"Hearth\" \"vendor\" \"Hearth\")");
  r.ok("ID completed");
}

}  // namespace hearth::mail::imap
