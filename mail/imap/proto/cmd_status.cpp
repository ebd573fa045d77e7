// status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")"  (RFC 9051 §9)
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_status(lexer& lx, std::string_view, const parse_options&) {
  cmd_status s;
  lx.sp();
  s.mailbox = lx.mailbox();
  lx.sp();
  s.items = detail::paren_atoms(lx, "( of status items", false);
  return s;
}

}  // namespace hearth::mail::imap
