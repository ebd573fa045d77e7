// IMAP command parser (sans I/O): one framed command in, a typed command or an error value out.
// The grammar is RFC 9051 §9 plus the extensions Hearth announces; rule names are cited at
// each parse site. Models: Stalwart imap-proto, Dovecot lib-imap (syntax only).
#pragma once
#include "core/util/result.hpp"
#include "mail/imap/proto/lexer.hpp"
#include "mail/imap/proto/types.hpp"

#include <string>
#include <string_view>

namespace hearth::mail::imap {

struct parse_options {
  bool utf8_accept = false;                // after ENABLE UTF8=ACCEPT / IMAP4rev2
  std::size_t max_sequence_ranges = 10000; // ranges in one sequence-set
  std::size_t max_search_depth = 32;       // nesting of OR/NOT/() in SEARCH
  std::size_t max_search_keys = 1000;      // keys in one SEARCH
};

struct parsed_command {
  std::string tag;        // "" if not even a tag could be read (reply with "* BAD")
  result<command> cmd;    // error codes: imap.syntax, imap.unknown_command, imap.mutf7, imap.limit
};

// Parses one framed command: lines end in "\r\n" and each literal's bytes follow its
// "{n}\r\n" (command_reader produces exactly this). Never throws.
// Unknown command names give imap.unknown_command ("unknown command"). The tag and the name
// are read here; the arguments by the command's own parser, found in the command table
// (command_table.hpp, commands.def).
parsed_command parse_command(std::string_view framed, const parse_options& opts = {});

// Internal entry points shared by the parser's files.
namespace detail {
search_key parse_search_program(lexer& lx, cmd_search& out, const parse_options& opts);
// After "RETURN" SP: "(" [search-return-opt *(SP search-return-opt)] ")" into out.returns.
void parse_return_options(lexer& lx, cmd_search& out);
cmd_fetch parse_fetch_args(lexer& lx, bool uid);
// "(" atom *(SP atom) ")" upper-cased (at most 64), e.g. STATUS items; "()" if allow_empty.
std::vector<std::string> paren_atoms(lexer& lx, const char* what, bool allow_empty);
// RFC 6855 §3: after ENABLE UTF8=ACCEPT a charset other than UTF-8/US-ASCII is BAD.
void check_utf8_charset(lexer& lx, const std::optional<std::string>& charset, const parse_options& opts);
// "[" section-spec "]" (BODY[...]) and "<" offset "." length ">"; also read IMAP URLs' SECTION.
section_spec parse_section(lexer& lx, bool binary);
std::optional<partial> parse_partial(lexer& lx);
// "(" fetch-att *(SP fetch-att) ")" into out (at most `max` of them).
void parse_fetch_att_list(lexer& lx, std::vector<fetch_att>& out, std::size_t max);
// 1*(SP search-key) after the charset of SORT/THREAD: the implicit AND of the keys.
search_key parse_search_keys(lexer& lx, const parse_options& opts);
}  // namespace detail

}  // namespace hearth::mail::imap
