// RFC 5464 §5: getmetadata = "GETMETADATA" [SP getmetadata-options] SP mailbox SP entries
// getmetadata-option = "MAXSIZE" SP number / "DEPTH" SP ("0" / "1" / "infinity")
// entries = entry / "(" entry *(SP entry) ")"; entry = astring
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_getmetadata(lexer& lx, std::string_view, const parse_options&) {
  cmd_getmetadata g;
  lx.sp();
  if (lx.eat('(')) {
    for (;;) {
      auto o = lx.upper_atom();
      lx.sp();
      if (o == "MAXSIZE") {
        g.maxsize = lx.number();
      } else if (o == "DEPTH") {
        auto d = lx.upper_atom();
        if (d == "0") g.depth = 0;
        else if (d == "1") g.depth = 1;
        else if (d == "INFINITY") g.depth = -1;
        else lx.fail("DEPTH is 0, 1 or infinity");
      } else {
        lx.fail("unknown GETMETADATA option " + o);
      }
      if (lx.eat(')')) break;
      lx.sp();
    }
    lx.sp();
  }
  g.mailbox = lx.mailbox();
  lx.sp();
  if (lx.eat('(')) {
    for (;;) {
      if (g.entries.size() >= 100) lx.fail("too many entries", "imap.limit");
      g.entries.push_back(lx.astring());
      if (lx.eat(')')) break;
      lx.sp();
    }
  } else {
    g.entries.push_back(lx.astring());
  }
  return g;
}

}  // namespace hearth::mail::imap
