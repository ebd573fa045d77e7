// list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
// (RFC 9051 §9, RFC 5258, RFC 5819 STATUS return option, RFC 6154 SPECIAL-USE);
// lsub = "LSUB" SP mailbox SP list-mailbox (RFC 3501 §9).
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_list(lexer& lx, std::string_view name, const parse_options&) {
  const bool lsub = name == "LSUB";
  cmd_list l;
  lx.sp();
  if (!lsub && lx.peek() == '(') {
    l.selection = detail::paren_atoms(lx, "list-select-opts", true);
    lx.sp();
  }
  l.reference = lx.mailbox();
  lx.sp();
  if (!lsub && lx.eat('(')) {  // patterns = "(" list-mailbox *(SP list-mailbox) ")"
    for (std::size_t n = 0;; ++n) {
      if (n >= 64) lx.fail("too many patterns", "imap.limit");
      l.patterns.push_back(lx.list_mailbox());
      if (lx.eat(')')) break;
      lx.sp();
    }
  } else {
    l.patterns.push_back(lx.list_mailbox());
  }
  if (!lsub && lx.eat(' ')) {
    if (!lx.eat_word("RETURN")) lx.fail("expected RETURN");
    lx.sp();
    lx.expect('(', "( of return options");
    if (!lx.eat(')')) {
      for (std::size_t n = 0;; ++n) {
        if (n >= 16) lx.fail("too many return options", "imap.limit");
        auto opt = lx.upper_atom();
        if (opt == "STATUS") {
          lx.sp();
          l.status_items = detail::paren_atoms(lx, "( of STATUS items", false);
        }
        l.returns.push_back(std::move(opt));
        if (lx.eat(')')) break;
        lx.sp();
      }
    }
  }
  return l;
}

}  // namespace hearth::mail::imap
