// The commands whose argument is one mailbox (RFC 9051 §9, RFC 9208 §4):
//   create = "CREATE" SP mailbox [create-params]; delete, subscribe, unsubscribe and
//   getquotaroot = NAME SP mailbox.
// RFC 4466 create-params = SP "(" create-param *(SP create-param) ")";
// RFC 6154 §3: create-param =/ "USE" SP "(" [use-attr *(SP use-attr)] ")"
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_mailbox(lexer& lx, std::string_view name, const parse_options&) {
  lx.sp();
  cmd_mailbox m{lx.mailbox(), {}};
  if (name == "CREATE" && lx.eat(' ')) {
    lx.expect('(', "( of CREATE parameters");
    if (!lx.eat_word("USE")) lx.fail("unknown CREATE parameter");
    lx.sp();
    lx.expect('(', "( of USE");
    if (!lx.eat(')')) {
      for (;;) {
        if (m.special_use.size() >= 16) lx.fail("too many special-use attributes", "imap.limit");
        lx.expect('\\', "\\ of special-use attribute");
        m.special_use.push_back("\\" + lx.atom());
        if (lx.eat(')')) break;
        lx.sp();
      }
    }
    lx.expect(')', ") of CREATE parameters");
  }
  return m;
}

}  // namespace hearth::mail::imap
