// uid-expunge = "UID" SP "EXPUNGE" SP sequence-set  (RFC 4315 §3)
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_uid_expunge(lexer& lx, std::string_view, const parse_options&) {
  lx.sp();
  return cmd_uid_expunge{lx.seq_set()};
}

}  // namespace hearth::mail::imap
