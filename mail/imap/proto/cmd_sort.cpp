// RFC 5256: sort = ["UID" SP] "SORT" SP sort-criteria SP search-criteria
// sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"; sort-criterion = ["REVERSE" SP] sort-key
// RFC 5267 §3 (ESORT): sort =/ ["UID" SP] "SORT" SP "RETURN" SP "(" ... ")" SP sort-criteria ...
#include "core/util/strings.hpp"
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_sort(lexer& lx, std::string_view, const parse_options& opts) {
  cmd_sort s;
  lx.sp();
  if (lx.eat_word("RETURN")) {
    detail::parse_return_options(lx, s.search);
    lx.sp();
  }
  lx.expect('(', "( of sort criteria");
  for (;;) {
    auto k = lx.upper_atom();
    if (k != "REVERSE" && k != "ARRIVAL" && k != "CC" && k != "DATE" && k != "FROM" && k != "SIZE" &&
        k != "SUBJECT" && k != "TO" && k != "DISPLAYFROM" && k != "DISPLAYTO")
      lx.fail("unknown sort key " + k);
    if (s.criteria.size() >= 16) lx.fail("too many sort keys", "imap.limit");
    s.criteria.push_back(std::move(k));
    if (lx.eat(')')) break;
    lx.sp();
  }
  if (s.criteria.back() == "REVERSE") lx.fail("REVERSE without a sort key");
  lx.sp();
  s.search.charset = util::to_upper(lx.astring());
  detail::check_utf8_charset(lx, s.search.charset, opts);
  lx.sp();
  s.search.key = detail::parse_search_keys(lx, opts);
  return s;
}

}  // namespace hearth::mail::imap
