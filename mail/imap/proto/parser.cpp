// The frame of every IMAP command: tag, name, then the command's own argument parser from the
// command table (command_table.hpp). Argument grammars live in cmd_<syntax>.cpp.
#include "mail/imap/proto/parser.hpp"

#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {
namespace detail {

std::vector<std::string> paren_atoms(lexer& lx, const char* what, bool allow_empty) {
  std::vector<std::string> out;
  lx.expect('(', what);
  if (allow_empty && lx.eat(')')) return out;
  for (std::size_t n = 0;; ++n) {
    if (n >= 64) lx.fail(std::string("too many items in ") + what, "imap.limit");
    out.push_back(lx.upper_atom());
    if (lx.eat(')')) return out;
    lx.sp();
  }
}

// RFC 6855 §3 (and its erratum 4029): after ENABLE UTF8=ACCEPT the strings of SEARCH, SORT and
// THREAD are UTF-8, so a charset label naming anything else conflicts and is BAD. UTF-8 itself
// (and its subset US-ASCII) is accepted rather than refused: it does not conflict, and IMAP4rev2
// clients send "CHARSET UTF-8" as a matter of course.
void check_utf8_charset(lexer& lx, const std::optional<std::string>& charset, const parse_options& opts) {
  if (opts.utf8_accept && charset && *charset != "UTF-8" && *charset != "US-ASCII")
    lx.fail("charset " + *charset + " conflicts with UTF8=ACCEPT: strings are UTF-8");
}

}  // namespace detail

namespace {

command parse_body(lexer& lx, std::string tag, const parse_options& opts) {
  command c;
  c.tag = std::move(tag);
  c.name = lx.upper_atom();  // command names are atoms, case-insensitive
  if (c.name == "UID") {
    // uid = "UID" SP (copy / move / fetch / search / store / uid-expunge / sort / thread):
    // the table names these "UID FETCH" and so on.
    lx.sp();
    c.name += ' ';
    c.name += lx.upper_atom();
    if (!find_syntax(c.name)) throw syntax_error{"imap.unknown_command", "unknown UID command"};
  }
  const command_syntax* syntax = find_syntax(c.name);
  if (!syntax) throw syntax_error{"imap.unknown_command", "unknown command"};
  c.args = syntax->parse(lx, c.name, opts);
  lx.end();
  return c;
}

}  // namespace

parsed_command parse_command(std::string_view framed, const parse_options& opts) {
  lexer lx(framed, lexer_options{opts.utf8_accept, opts.max_sequence_ranges});
  std::string tag;
  try {
    // command = tag SP (command-any / command-auth / command-nonauth / command-select) CRLF
    tag = lx.tag();
    lx.sp();
    return {tag, parse_body(lx, tag, opts)};
  } catch (const syntax_error& e) {
    return {tag, hearth::fail(e.code, e.message)};
  }
}

}  // namespace hearth::mail::imap
