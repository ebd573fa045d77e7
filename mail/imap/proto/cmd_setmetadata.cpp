// RFC 5464 §5: setmetadata = "SETMETADATA" SP mailbox SP "(" entry-value *(SP entry-value) ")"
// entry-value = entry SP value; value = nstring / literal8
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_setmetadata(lexer& lx, std::string_view, const parse_options&) {
  cmd_setmetadata s;
  lx.sp();
  s.mailbox = lx.mailbox();
  lx.sp();
  lx.expect('(', "( of entry values");
  for (;;) {
    if (s.values.size() >= 100) lx.fail("too many entries", "imap.limit");
    auto name = lx.astring();
    lx.sp();
    std::optional<std::string> value;
    if (lx.peek() == '~') {
      bool binary = true;
      value = lx.literal(&binary);
    } else {
      value = lx.nstring();
    }
    s.values.emplace_back(std::move(name), std::move(value));
    if (lx.eat(')')) break;
    lx.sp();
  }
  return s;
}

}  // namespace hearth::mail::imap
