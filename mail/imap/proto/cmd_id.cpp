// id = "ID" SP id-params-list; id-params-list = "(" *(string SP nstring) ")" / nil (RFC 2971 §3.3)
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_id(lexer& lx, std::string_view, const parse_options&) {
  cmd_id c;
  lx.sp();
  if (lx.eat_word("NIL")) return c;
  c.params.emplace();
  lx.expect('(', "( of ID parameters");
  if (lx.eat(')')) return c;
  for (;;) {
    // RFC 2971 §3.3: at most 30 field-value pairs.
    if (c.params->size() >= 30) lx.fail("too many ID parameters", "imap.limit");
    auto k = lx.string();
    lx.sp();
    auto v = lx.nstring();
    c.params->emplace_back(std::move(k), std::move(v));
    if (lx.eat(')')) return c;
    lx.sp();
  }
}

}  // namespace hearth::mail::imap
