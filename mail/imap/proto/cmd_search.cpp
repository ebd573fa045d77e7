// search = "SEARCH" [search-return-opts] [SP "CHARSET" SP charset] 1*(SP search-key)
// (RFC 9051 §9, RFC 4731, RFC 5267), and UID SEARCH. The search-key grammar, which SORT and
// THREAD share, is in parser_search.cpp.
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_search(lexer& lx, std::string_view, const parse_options& opts) {
  cmd_search s;
  s.key = detail::parse_search_program(lx, s, opts);
  detail::check_utf8_charset(lx, s.charset, opts);
  return s;
}

}  // namespace hearth::mail::imap
