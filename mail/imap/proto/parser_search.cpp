// SEARCH arguments (RFC 9051 §6.4.4, RFC 4731 ESEARCH RETURN, RFC 5182 SEARCHRES,
// RFC 7162 MODSEQ, RFC 5032 OLDER/YOUNGER).
#include "mail/imap/proto/parser.hpp"

#include <algorithm>
#include <cctype>

#include "core/util/strings.hpp"

namespace hearth::mail::imap {
using util::iequals;
using util::istarts_with;
using util::to_lower;
using util::to_upper;
namespace {

struct search_parser {
  lexer& lx;
  const parse_options& opts;
  std::size_t keys = 0;

  bool is_word(std::string_view n, std::initializer_list<std::string_view> set) {
    for (auto w : set)
      if (n == w) return true;
    return false;
  }

  // search-key = "ALL" / "ANSWERED" / "BCC" SP astring / ... / "(" search-key *(SP search-key) ")"
  search_key key(std::size_t depth) {
    if (depth > opts.max_search_depth) lx.fail("SEARCH nested too deeply", "imap.limit");
    if (++keys > opts.max_search_keys) lx.fail("too many SEARCH keys", "imap.limit");
    search_key k;
    char c = lx.peek();
    if (c == '(') {
      lx.eat('(');
      k.name = "AND";
      for (;;) {
        k.children.push_back(key(depth + 1));
        if (lx.eat(')')) return k;
        lx.sp();
      }
    }
    if ((c >= '0' && c <= '9') || c == '*' || c == '$') {  // sequence-set
      k.name = "SEQSET";
      k.set = lx.seq_set();
      return k;
    }
    k.name = lx.upper_atom();
    const auto& n = k.name;
    if (is_word(n, {"ALL", "ANSWERED", "DELETED", "FLAGGED", "NEW", "OLD", "RECENT", "SEEN",
                    "UNANSWERED", "UNDELETED", "UNFLAGGED", "UNSEEN", "DRAFT", "UNDRAFT", "SAVEDATESUPPORTED"}))
      return k;
    lx.sp();
    if (is_word(n, {"BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO"})) {
      k.text = lx.astring();
    } else if (n == "KEYWORD" || n == "UNKEYWORD") {  // flag-keyword = atom
      k.text = lx.atom();
    } else if (is_word(n, {"BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE", "SAVEDBEFORE", "SAVEDON",
                           "SAVEDSINCE"})) {  // RFC 8514 §5: "SAVEDBEFORE" SP date / ...
      k.on = lx.read_date();
    } else if (n == "HEADER") {  // "HEADER" SP header-fld-name SP astring
      k.text = lx.astring();
      lx.sp();
      k.text2 = lx.astring();
    } else if (n == "LARGER" || n == "SMALLER" || n == "OLDER" || n == "YOUNGER") {
      k.number = lx.number64();
    } else if (n == "UID") {
      k.set = lx.seq_set();
    } else if (n == "NOT") {
      k.children.push_back(key(depth + 1));
    } else if (n == "OR") {
      k.children.push_back(key(depth + 1));
      lx.sp();
      k.children.push_back(key(depth + 1));
    } else if (n == "EMAILID" || n == "THREADID") {
      // RFC 8474 §7: search-key =/ "EMAILID" SP objectid / "THREADID" SP objectid
      // objectid = 1*255(ALPHA / DIGIT / "_" / "-")
      k.text = lx.atom();
      if (k.text.size() > 255) lx.fail("objectid longer than 255 characters");
      for (char ch : k.text)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-')
          lx.fail("objectid may hold only letters, digits, _ and -");
    } else if (n == "MODSEQ") {
      // RFC 7162 §3.1.5: "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer
      if (lx.peek() == '"') {
        k.text = lx.quoted();  // entry-name, e.g. "/flags/\\Seen"
        lx.sp();
        k.text2 = to_lower(lx.atom());
        if (k.text2 != "priv" && k.text2 != "shared" && k.text2 != "all")
          lx.fail("bad MODSEQ entry type");
        lx.sp();
      }
      k.number = lx.number64();
    } else {
      lx.fail("unknown search key " + n);
    }
    return k;
  }
};

}  // namespace

// search = "SEARCH" [search-return-opts] [SP "CHARSET" SP charset] 1*(SP search-key)
// search-return-opts = SP "RETURN" SP "(" [search-return-opt *(SP search-return-opt)] ")"
void detail::parse_return_options(lexer& lx, cmd_search& out) {
  out.has_return = true;
  lx.sp();
  lx.expect('(', "( of RETURN options");
  if (lx.eat(')')) return;
  for (;;) {
    auto o = lx.upper_atom();
    if (o != "MIN" && o != "MAX" && o != "ALL" && o != "COUNT" && o != "SAVE" && o != "UPDATE" && o != "CONTEXT" &&
        o != "PARTIAL")
      lx.fail("unknown RETURN option " + o);
    if (out.returns.size() >= 8) lx.fail("too many RETURN options");
    // RFC 5267 §4.4: "A single command MUST NOT contain more than one PARTIAL or ALL search
    // return option -- that is, either one PARTIAL, one ALL, or neither PARTIAL nor ALL".
    if ((o == "PARTIAL" || o == "ALL") &&
        std::any_of(out.returns.begin(), out.returns.end(), [](const std::string& r) { return r == "PARTIAL" || r == "ALL"; }))
      lx.fail("more than one PARTIAL or ALL");
    if (o == "PARTIAL") {
      // RFC 5267 §5: ret-partial = "PARTIAL" SP partial-range; partial-range = nz-number ":"
      // nz-number (either order, as a sequence range).
      lx.sp();
      auto a = lx.nz_number();
      lx.expect(':', ": of a PARTIAL range");
      auto b = lx.nz_number();
      out.partial = {std::min(a, b), std::max(a, b)};
    }
    out.returns.push_back(std::move(o));
    if (lx.eat(')')) break;
    lx.sp();
  }
}

search_key detail::parse_search_program(lexer& lx, cmd_search& out, const parse_options& opts) {
  lx.sp();
  if (lx.eat_word("RETURN")) {
    parse_return_options(lx, out);
    lx.sp();
  }
  if (lx.eat_word("CHARSET")) {  // charset = atom / quoted
    lx.sp();
    out.charset = to_upper(lx.peek() == '"' ? lx.quoted() : lx.atom());
    lx.sp();
  }
  return parse_search_keys(lx, opts);
}

search_key detail::parse_search_keys(lexer& lx, const parse_options& opts) {
  search_parser p{lx, opts};
  search_key all;
  all.name = "AND";
  for (;;) {
    all.children.push_back(p.key(1));
    if (!lx.eat(' ')) break;
  }
  return all;
}

}  // namespace hearth::mail::imap
