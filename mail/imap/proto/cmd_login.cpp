// login = "LOGIN" SP userid SP password  (RFC 9051 §9)
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_login(lexer& lx, std::string_view, const parse_options&) {
  cmd_login l;
  lx.sp();
  l.user = lx.astring();
  lx.sp();
  l.password = lx.astring();
  return l;
}

}  // namespace hearth::mail::imap
