// CAPABILITY NOOP CHECK LOGOUT STARTTLS IDLE CLOSE UNSELECT EXPUNGE NAMESPACE: no arguments
// (RFC 9051 §9, e.g. command-any = "CAPABILITY" / "LOGOUT" / "NOOP").
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_none(lexer&, std::string_view, const parse_options&) { return cmd_none{}; }

}  // namespace hearth::mail::imap
