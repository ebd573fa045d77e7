// RFC 4314 §3 (ACL commands). Grammar (§4 of the RFC, "Formal Syntax"):
//   setacl     = "SETACL" SP mailbox SP identifier SP mod-rights
//   deleteacl  = "DELETEACL" SP mailbox SP identifier
//   getacl     = "GETACL" SP mailbox
//   listrights = "LISTRIGHTS" SP mailbox SP identifier
//   myrights   = "MYRIGHTS" SP mailbox
//   identifier = astring
//   mod-rights = astring   ; +rights to add, -rights to remove, rights to replace
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_acl(lexer& lx, std::string_view name, const parse_options&) {
  cmd_acl a;
  lx.sp();
  a.mailbox = lx.mailbox();
  if (name == "GETACL" || name == "MYRIGHTS") return a;
  lx.sp();
  a.identifier = lx.astring();
  if (a.identifier.empty()) lx.fail("empty identifier");
  if (name != "SETACL") return a;
  lx.sp();
  a.rights = lx.astring();
  return a;
}

}  // namespace hearth::mail::imap
