// The syntax side of the IMAP command table (commands.def): for each command name, the states
// it is allowed in and the parser of its arguments. The server's table (server/commands.cpp)
// is built from the same list and adds the handler.
#pragma once
#include <span>
#include <string_view>

#include "mail/imap/proto/lexer.hpp"
#include "mail/imap/proto/parser.hpp"
#include "mail/imap/proto/types.hpp"

namespace hearth::mail::imap {

// RFC 9051 §6 command groups, as bits of the session states a command is allowed in.
enum state_flag : unsigned {
  in_not_auth = 1u << 0,
  in_auth = 1u << 1,
  in_selected = 1u << 2,
  in_any = in_not_auth | in_auth | in_selected,
  in_logged_in = in_auth | in_selected,
};
namespace states {
inline constexpr unsigned any = in_any, not_auth = in_not_auth, logged_in = in_logged_in,
                          selected = in_selected;
}

// Parses a command's arguments: the lexer stands just after the name (for "UID FETCH", after
// "FETCH"); `name` is the full name, so one parser can serve several commands. Reports bad
// syntax by throwing syntax_error (parse_command turns it into a value); the caller checks
// that nothing follows.
using syntax_fn = command_args (*)(lexer& lx, std::string_view name, const parse_options& opts);

struct command_syntax {
  std::string_view name;
  syntax_fn parse;
  unsigned states;
  bool allows_expunge;
};

// The entry for an upper-case command name, or nullptr when Hearth has no such command.
const command_syntax* find_syntax(std::string_view name);
// Every entry, in commands.def's order.
std::span<const command_syntax> all_syntax();

// One declaration per parser named in commands.def (each in proto/cmd_<syntax>.cpp).
#define IMAP_COMMAND(NAME, SYNTAX, HANDLER, STATES, EXPUNGE_OK) \
  command_args syntax_##SYNTAX(lexer&, std::string_view, const parse_options&);
#include "mail/imap/proto/commands.def"
#undef IMAP_COMMAND

}  // namespace hearth::mail::imap
