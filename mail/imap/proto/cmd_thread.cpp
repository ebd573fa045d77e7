// thread = ["UID" SP] "THREAD" SP thread-alg SP search-charset 1*(SP search-key)  (RFC 5256 §5)
#include "core/util/strings.hpp"
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_thread(lexer& lx, std::string_view, const parse_options& opts) {
  cmd_thread t;
  lx.sp();
  t.algorithm = lx.upper_atom();
  lx.sp();
  t.search.charset = util::to_upper(lx.astring());
  detail::check_utf8_charset(lx, t.search.charset, opts);
  lx.sp();
  t.search.key = detail::parse_search_keys(lx, opts);
  return t;
}

}  // namespace hearth::mail::imap
