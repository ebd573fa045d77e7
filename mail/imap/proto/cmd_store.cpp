// store = "STORE" SP sequence-set [SP store-modifiers] SP store-att-flags  (RFC 9051 §9,
// RFC 7162 §3.1.3), and UID STORE.
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_store(lexer& lx, std::string_view, const parse_options&) {
  cmd_store s;
  lx.sp();
  s.set = lx.seq_set();
  lx.sp();
  if (lx.eat('(')) {  // RFC 7162 §3.1.3: store-modifier = "UNCHANGEDSINCE" SP mod-sequence-valzer
    if (!lx.eat_word("UNCHANGEDSINCE")) lx.fail("unknown STORE modifier");
    lx.sp();
    s.unchanged_since = lx.number64();
    lx.expect(')', ") of STORE modifiers");
    lx.sp();
  }
  // store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))
  if (lx.eat('+')) s.op = store_op::add;
  else if (lx.eat('-')) s.op = store_op::remove;
  auto what = lx.upper_atom();
  if (what == "FLAGS.SILENT") s.silent = true;
  else if (what != "FLAGS") lx.fail("expected FLAGS, +FLAGS or -FLAGS");
  lx.sp();
  if (lx.peek() == '(') {
    s.flags = lx.flag_list();
  } else {
    for (std::size_t n = 0;; ++n) {
      if (n >= 1000) lx.fail("too many flags", "imap.limit");
      s.flags.push_back(lx.flag());
      if (!lx.eat(' ')) break;
    }
  }
  return s;
}

}  // namespace hearth::mail::imap
