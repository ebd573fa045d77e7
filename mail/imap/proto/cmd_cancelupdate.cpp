// cancelupdate = "CANCELUPDATE" 1*(SP quoted)  (RFC 5267 §5)
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_cancelupdate(lexer& lx, std::string_view, const parse_options&) {
  cmd_cancelupdate cu;
  do {
    lx.sp();
    if (cu.tags.size() >= 32) lx.fail("too many tags", "imap.limit");
    cu.tags.push_back(lx.quoted());
  } while (lx.peek() == ' ');
  return cu;
}

}  // namespace hearth::mail::imap
