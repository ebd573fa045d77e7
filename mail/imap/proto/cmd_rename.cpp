// rename = "RENAME" SP mailbox SP mailbox  (RFC 9051 §9)
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_rename(lexer& lx, std::string_view, const parse_options&) {
  cmd_rename r;
  lx.sp();
  r.from = lx.mailbox();
  lx.sp();
  r.to = lx.mailbox();
  return r;
}

}  // namespace hearth::mail::imap
