// fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att /
//         "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers], and UID FETCH (RFC 9051 §9,
// RFC 7162). The fetch-att grammar, which NOTIFY shares, is in parser_fetch.cpp.
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_fetch(lexer& lx, std::string_view name, const parse_options&) {
  return detail::parse_fetch_args(lx, name.starts_with("UID "));
}

}  // namespace hearth::mail::imap
