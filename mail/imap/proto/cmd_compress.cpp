// compress = "COMPRESS" SP algorithm  (RFC 4978 §4)
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_compress(lexer& lx, std::string_view, const parse_options&) {
  lx.sp();
  return cmd_compress{lx.upper_atom()};
}

}  // namespace hearth::mail::imap
