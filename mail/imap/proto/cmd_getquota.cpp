// getquota = "GETQUOTA" SP quota-root-name; quota-root-name = astring  (RFC 9208 §4)
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_getquota(lexer& lx, std::string_view, const parse_options&) {
  lx.sp();
  return cmd_getquota{lx.astring()};
}

}  // namespace hearth::mail::imap
