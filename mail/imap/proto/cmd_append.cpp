// append = "APPEND" SP mailbox 1*append-message (RFC 3502 MULTIAPPEND);
// append-message = [SP flag-list] [SP date-time] SP append-data;
// append-data = literal / literal8 / "UTF8" SP "(" literal8 ")"  (RFC 3516, RFC 6855 §4)
//   / "CATENATE" SP "(" cat-part *(SP cat-part) ")"  (RFC 4469)
// cat-part = "TEXT" SP literal / "URL" SP astring
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_append(lexer& lx, std::string_view, const parse_options& opts) {
  cmd_append a;
  lx.sp();
  a.mailbox = lx.mailbox();
  while (lx.eat(' ')) {
    if (a.messages.size() >= 1000) lx.fail("too many messages in one APPEND", "imap.limit");
    append_message m;
    if (lx.peek() == '(') {
      m.flags = lx.flag_list();
      lx.sp();
    }
    if (lx.peek() == '"') {
      m.internal_date = lx.read_date_time();
      lx.sp();
    }
    if (lx.eat_word("UTF8")) {
      // RFC 6855 §4: the UTF8 form is BAD unless the client sent ENABLE UTF8=ACCEPT. Only a
      // literal8 may follow; a plain literal would forbid the NULs literal8 allows.
      if (!opts.utf8_accept) lx.fail("APPEND UTF8 needs ENABLE UTF8=ACCEPT first");
      lx.sp();
      lx.expect('(', "( after APPEND UTF8");
      if (lx.peek() != '~') lx.fail("APPEND UTF8 expects a literal8 (~{n})");
      m.data = lx.literal(&m.binary);
      lx.expect(')', ") after the APPEND UTF8 literal");
      m.utf8 = true;
    } else if (lx.eat_word("CATENATE")) {
      lx.sp();
      lx.expect('(', "( after CATENATE");
      for (;;) {
        if (m.catenate.size() >= 256) lx.fail("too many CATENATE parts", "imap.limit");
        cat_part part;
        if (lx.eat_word("TEXT")) {
          lx.sp();
          if (lx.peek() != '{' && lx.peek() != '~') lx.fail("CATENATE TEXT expects a literal");
          bool binary = false;
          part.data = lx.literal(&binary);
          m.binary |= binary;
        } else if (lx.eat_word("URL")) {
          lx.sp();
          part.url = true;
          part.data = lx.astring();
        } else {
          lx.fail("expected TEXT or URL in CATENATE");
        }
        m.catenate.push_back(std::move(part));
        if (lx.eat(')')) break;
        lx.sp();
      }
    } else {
      if (lx.peek() != '{' && lx.peek() != '~') lx.fail("expected a literal with the message");
      m.data = lx.literal(&m.binary);
    }
    a.messages.push_back(std::move(m));
  }
  if (a.messages.empty()) lx.fail("APPEND needs a message");
  return a;
}

}  // namespace hearth::mail::imap
