// copy = "COPY" SP sequence-set SP mailbox; move = "MOVE" SP sequence-set SP mailbox
// (RFC 9051 §9, RFC 6851 §4), and their UID forms.
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_copy(lexer& lx, std::string_view, const parse_options&) {
  cmd_copy c;
  lx.sp();
  c.set = lx.seq_set();
  lx.sp();
  c.mailbox = lx.mailbox();
  return c;
}

}  // namespace hearth::mail::imap
