// enable = "ENABLE" 1*(SP capability)  (RFC 5161 §4)
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_enable(lexer& lx, std::string_view, const parse_options&) {
  cmd_enable e;
  do {
    lx.sp();
    if (e.capabilities.size() >= 32) lx.fail("too many capabilities", "imap.limit");
    e.capabilities.push_back(lx.upper_atom());
  } while (lx.peek() == ' ');
  return e;
}

}  // namespace hearth::mail::imap
