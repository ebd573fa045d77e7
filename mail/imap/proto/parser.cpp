#include "mail/imap/proto/parser.hpp"

#include "core/util/strings.hpp"

namespace hearth::mail::imap {
using util::iequals;
using util::istarts_with;
using util::to_lower;
using util::to_upper;
namespace {

// auth-type = atom; [SP (base64 / "=")]  (RFC 4959 SASL-IR)
cmd_authenticate parse_authenticate(lexer& lx) {
  cmd_authenticate a;
  lx.sp();
  a.mechanism = lx.upper_atom();
  if (lx.eat(' ')) {
    if (lx.eat('=')) {
      a.initial.emplace(1, '=');
    } else {
      std::string b = lx.atom();  // base64 chars are atom chars
      for (char c : b)
        if (!(isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '='))
          lx.fail("initial response is not base64");
      a.initial = std::move(b);
    }
  }
  return a;
}

// select-params = SP "(" select-param *(SP select-param) ")"  (RFC 7162 §3.1.8, §3.2.5.1)
cmd_select parse_select(lexer& lx) {
  cmd_select s;
  lx.sp();
  s.mailbox = lx.mailbox();
  if (!lx.eat(' ')) return s;
  lx.expect('(', "( of select parameters");
  for (std::size_t n = 0;; ++n) {
    if (n > 8) lx.fail("too many select parameters");
    auto p = lx.upper_atom();
    if (p == "CONDSTORE") {
      s.condstore = true;
    } else if (p == "QRESYNC") {
      // QRESYNC SP "(" uidvalidity SP mod-sequence-value [SP known-uids] [SP seq-match-data] ")"
      qresync_params q;
      lx.sp();
      lx.expect('(', "( of QRESYNC parameters");
      q.uidvalidity = lx.nz_number();
      lx.sp();
      q.modseq = lx.mod_sequence_value();
      if (lx.eat(' ')) {
        if (lx.peek() != '(') {
          q.known_uids = lx.seq_set();
          if (q.known_uids->saved) lx.fail("$ is not allowed in QRESYNC");
        }
        if (lx.peek() == ' ' || lx.peek() == '(') {
          if (q.known_uids) lx.sp();
          lx.expect('(', "( of seq-match-data");
          auto seqs = lx.seq_set();
          lx.sp();
          auto uids = lx.seq_set();
          if (seqs.saved || uids.saved) lx.fail("$ is not allowed in QRESYNC");
          lx.expect(')', ") of seq-match-data");
          q.seq_match = std::make_pair(std::move(seqs), std::move(uids));
        }
      }
      lx.expect(')', ") of QRESYNC parameters");
      s.qresync = std::move(q);
    } else {
      lx.fail("unknown select parameter " + p);
    }
    if (lx.eat(')')) return s;
    lx.sp();
  }
}

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

// list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
// (RFC 9051 §9, RFC 5258, RFC 5819 STATUS return option, RFC 6154 SPECIAL-USE)
cmd_list parse_list(lexer& lx, bool lsub) {
  cmd_list l;
  lx.sp();
  if (!lsub && lx.peek() == '(') {
    l.selection = paren_atoms(lx, "list-select-opts", true);
    lx.sp();
  }
  l.reference = lx.mailbox();
  lx.sp();
  if (!lsub && lx.eat('(')) {  // patterns = "(" list-mailbox *(SP list-mailbox) ")"
    for (std::size_t n = 0;; ++n) {
      if (n >= 64) lx.fail("too many patterns", "imap.limit");
      l.patterns.push_back(lx.list_mailbox());
      if (lx.eat(')')) break;
      lx.sp();
    }
  } else {
    l.patterns.push_back(lx.list_mailbox());
  }
  if (!lsub && lx.eat(' ')) {
    if (!lx.eat_word("RETURN")) lx.fail("expected RETURN");
    lx.sp();
    lx.expect('(', "( of return options");
    if (!lx.eat(')')) {
      for (std::size_t n = 0;; ++n) {
        if (n >= 16) lx.fail("too many return options", "imap.limit");
        auto opt = lx.upper_atom();
        if (opt == "STATUS") {
          lx.sp();
          l.status_items = paren_atoms(lx, "( of STATUS items", false);
        }
        l.returns.push_back(std::move(opt));
        if (lx.eat(')')) break;
        lx.sp();
      }
    }
  }
  return l;
}

// append = "APPEND" SP mailbox 1*append-message (RFC 3502 MULTIAPPEND);
// append-message = [SP flag-list] [SP date-time] SP append-data;
// append-data = literal / literal8 / "UTF8" SP "(" literal8 ")"  (RFC 3516, RFC 6855 §4)
//   / "CATENATE" SP "(" cat-part *(SP cat-part) ")"  (RFC 4469)
// cat-part = "TEXT" SP literal / "URL" SP astring
cmd_append parse_append(lexer& lx, const parse_options& opts) {
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

// store = "STORE" SP sequence-set [SP store-modifiers] SP store-att-flags
cmd_store parse_store(lexer& lx) {
  cmd_store s;
  lx.sp();
  s.set = lx.seq_set();
  lx.sp();
  if (lx.eat('(')) {  // RFC 7162 §3.1.3: store-modifier = "UNCHANGEDSINCE" SP mod-sequence-valzer
    if (!lx.eat_word("UNCHANGEDSINCE")) lx.fail("unknown STORE modifier");
    lx.sp();
    s.unchanged_since = lx.number64();
    lx.expect(')', ") of STORE modifiers");
    lx.sp();
  }
  // store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))
  if (lx.eat('+')) s.op = store_op::add;
  else if (lx.eat('-')) s.op = store_op::remove;
  auto what = lx.upper_atom();
  if (what == "FLAGS.SILENT") s.silent = true;
  else if (what != "FLAGS") lx.fail("expected FLAGS, +FLAGS or -FLAGS");
  lx.sp();
  if (lx.peek() == '(') {
    s.flags = lx.flag_list();
  } else {
    for (std::size_t n = 0;; ++n) {
      if (n >= 1000) lx.fail("too many flags", "imap.limit");
      s.flags.push_back(lx.flag());
      if (!lx.eat(' ')) break;
    }
  }
  return s;
}

// id = "ID" SP id-params-list; id-params-list = "(" *(string SP nstring) ")" / nil (RFC 2971 §3.3)
cmd_id parse_id(lexer& lx) {
  cmd_id c;
  lx.sp();
  if (lx.eat_word("NIL")) return c;
  c.params.emplace();
  lx.expect('(', "( of ID parameters");
  if (lx.eat(')')) return c;
  for (;;) {
    // RFC 2971 §3.3: at most 30 field-value pairs.
    if (c.params->size() >= 30) lx.fail("too many ID parameters", "imap.limit");
    auto k = lx.string();
    lx.sp();
    auto v = lx.nstring();
    c.params->emplace_back(std::move(k), std::move(v));
    if (lx.eat(')')) return c;
    lx.sp();
  }
}

cmd_copy parse_copy(lexer& lx) {
  cmd_copy c;
  lx.sp();
  c.set = lx.seq_set();
  lx.sp();
  c.mailbox = lx.mailbox();
  return c;
}

// RFC 6855 §3 (and its erratum 4029): after ENABLE UTF8=ACCEPT the strings of SEARCH, SORT and
// THREAD are UTF-8, so a charset label naming anything else conflicts and is BAD. UTF-8 itself
// (and its subset US-ASCII) is accepted rather than refused: it does not conflict, and IMAP4rev2
// clients send "CHARSET UTF-8" as a matter of course.
void check_utf8_charset(lexer& lx, const std::optional<std::string>& charset, const parse_options& opts) {
  if (opts.utf8_accept && charset && *charset != "UTF-8" && *charset != "US-ASCII")
    lx.fail("charset " + *charset + " conflicts with UTF8=ACCEPT: strings are UTF-8");
}

cmd_search parse_search(lexer& lx, const parse_options& opts) {
  cmd_search s;
  s.key = detail::parse_search_program(lx, s, opts);
  check_utf8_charset(lx, s.charset, opts);
  return s;
}

// RFC 5256: sort = ["UID" SP] "SORT" SP sort-criteria SP search-criteria
// sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"; sort-criterion = ["REVERSE" SP] sort-key
// RFC 5267 §3 (ESORT): sort =/ ["UID" SP] "SORT" SP "RETURN" SP "(" ... ")" SP sort-criteria ...
cmd_sort parse_sort(lexer& lx, const parse_options& opts) {
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
  s.search.charset = to_upper(lx.astring());
  check_utf8_charset(lx, s.search.charset, opts);
  lx.sp();
  s.search.key = detail::parse_search_keys(lx, opts);
  return s;
}

// RFC 5464 §5: getmetadata = "GETMETADATA" [SP getmetadata-options] SP mailbox SP entries
// getmetadata-option = "MAXSIZE" SP number / "DEPTH" SP ("0" / "1" / "infinity")
// entries = entry / "(" entry *(SP entry) ")"; entry = astring
cmd_getmetadata parse_getmetadata(lexer& lx) {
  cmd_getmetadata g;
  lx.sp();
  if (lx.eat('(')) {
    for (;;) {
      auto o = lx.upper_atom();
      lx.sp();
      if (o == "MAXSIZE") {
        g.maxsize = lx.number();
      } else if (o == "DEPTH") {
        auto d = lx.upper_atom();
        if (d == "0") g.depth = 0;
        else if (d == "1") g.depth = 1;
        else if (d == "INFINITY") g.depth = -1;
        else lx.fail("DEPTH is 0, 1 or infinity");
      } else {
        lx.fail("unknown GETMETADATA option " + o);
      }
      if (lx.eat(')')) break;
      lx.sp();
    }
    lx.sp();
  }
  g.mailbox = lx.mailbox();
  lx.sp();
  if (lx.eat('(')) {
    for (;;) {
      if (g.entries.size() >= 100) lx.fail("too many entries", "imap.limit");
      g.entries.push_back(lx.astring());
      if (lx.eat(')')) break;
      lx.sp();
    }
  } else {
    g.entries.push_back(lx.astring());
  }
  return g;
}

// setmetadata = "SETMETADATA" SP mailbox SP "(" entry-value *(SP entry-value) ")"
// entry-value = entry SP value; value = nstring / literal8
cmd_setmetadata parse_setmetadata(lexer& lx) {
  cmd_setmetadata s;
  lx.sp();
  s.mailbox = lx.mailbox();
  lx.sp();
  lx.expect('(', "( of entry values");
  for (;;) {
    if (s.values.size() >= 100) lx.fail("too many entries", "imap.limit");
    auto name = lx.astring();
    lx.sp();
    std::optional<std::string> value;
    if (lx.peek() == '~') {
      bool binary = true;
      value = lx.literal(&binary);
    } else {
      value = lx.nstring();
    }
    s.values.emplace_back(std::move(name), std::move(value));
    if (lx.eat(')')) break;
    lx.sp();
  }
  return s;
}

// thread = ["UID" SP] "THREAD" SP thread-alg SP search-charset 1*(SP search-key)
cmd_thread parse_thread(lexer& lx, const parse_options& opts) {
  cmd_thread t;
  lx.sp();
  t.algorithm = lx.upper_atom();
  lx.sp();
  t.search.charset = to_upper(lx.astring());
  check_utf8_charset(lx, t.search.charset, opts);
  lx.sp();
  t.search.key = detail::parse_search_keys(lx, opts);
  return t;
}

bool no_args(std::string_view n) {
  return n == "CAPABILITY" || n == "NOOP" || n == "CHECK" || n == "LOGOUT" || n == "STARTTLS" || n == "IDLE" ||
         n == "CLOSE" || n == "UNSELECT" || n == "EXPUNGE" || n == "NAMESPACE";
}

command parse_body(lexer& lx, std::string tag, const parse_options& opts) {
  command c;
  c.tag = std::move(tag);
  c.name = lx.upper_atom();  // command names are atoms, case-insensitive
  const auto& n = c.name;
  if (no_args(n)) {
    c.args = cmd_none{};
  } else if (n == "AUTHENTICATE") {
    c.args = parse_authenticate(lx);
  } else if (n == "LOGIN") {  // login = "LOGIN" SP userid SP password
    cmd_login l;
    lx.sp();
    l.user = lx.astring();
    lx.sp();
    l.password = lx.astring();
    c.args = std::move(l);
  } else if (n == "ENABLE") {  // enable = "ENABLE" 1*(SP capability)
    cmd_enable e;
    do {
      lx.sp();
      if (e.capabilities.size() >= 32) lx.fail("too many capabilities", "imap.limit");
      e.capabilities.push_back(lx.upper_atom());
    } while (lx.peek() == ' ');
    c.args = std::move(e);
  } else if (n == "SELECT" || n == "EXAMINE") {
    c.args = parse_select(lx);
  } else if (n == "CREATE" || n == "DELETE" || n == "SUBSCRIBE" || n == "UNSUBSCRIBE" ||
             n == "GETQUOTAROOT") {
    lx.sp();
    cmd_mailbox m{lx.mailbox(), {}};
    // RFC 4466 create-params = SP "(" create-param *(SP create-param) ")";
    // RFC 6154 §3: create-param =/ "USE" SP "(" [use-attr *(SP use-attr)] ")"
    if (n == "CREATE" && lx.eat(' ')) {
      lx.expect('(', "( of CREATE parameters");
      if (!lx.eat_word("USE")) lx.fail("unknown CREATE parameter");
      lx.sp();
      lx.expect('(', "( of USE");
      if (!lx.eat(')')) {
        for (;;) {
          if (m.special_use.size() >= 16) lx.fail("too many special-use attributes", "imap.limit");
          lx.expect('\\', "\\ of special-use attribute");
          m.special_use.push_back("\\" + lx.atom());
          if (lx.eat(')')) break;
          lx.sp();
        }
      }
      lx.expect(')', ") of CREATE parameters");
    }
    c.args = std::move(m);
  } else if (n == "RENAME") {
    cmd_rename r;
    lx.sp();
    r.from = lx.mailbox();
    lx.sp();
    r.to = lx.mailbox();
    c.args = std::move(r);
  } else if (n == "LIST" || n == "LSUB") {
    c.args = parse_list(lx, n == "LSUB");
  } else if (n == "STATUS") {  // status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")"
    cmd_status s;
    lx.sp();
    s.mailbox = lx.mailbox();
    lx.sp();
    s.items = paren_atoms(lx, "( of status items", false);
    c.args = std::move(s);
  } else if (n == "APPEND") {
    c.args = parse_append(lx, opts);
  } else if (n == "SEARCH") {
    c.args = parse_search(lx, opts);
  } else if (n == "FETCH") {
    c.args = detail::parse_fetch_args(lx, false);
  } else if (n == "STORE") {
    c.args = parse_store(lx);
  } else if (n == "COPY" || n == "MOVE") {
    c.args = parse_copy(lx);
  } else if (n == "ID") {
    c.args = parse_id(lx);
  } else if (n == "SORT") {
    c.args = parse_sort(lx, opts);
  } else if (n == "THREAD") {
    c.args = parse_thread(lx, opts);
  } else if (n == "COMPRESS") {  // RFC 4978: compress = "COMPRESS" SP algorithm
    lx.sp();
    c.args = cmd_compress{lx.upper_atom()};
  } else if (n == "GETMETADATA") {
    c.args = parse_getmetadata(lx);
  } else if (n == "SETMETADATA") {
    c.args = parse_setmetadata(lx);
  } else if (n == "CANCELUPDATE") {  // RFC 5267 §5: "CANCELUPDATE" 1*(SP quoted)
    cmd_cancelupdate cu;
    do {
      lx.sp();
      if (cu.tags.size() >= 32) lx.fail("too many tags", "imap.limit");
      cu.tags.push_back(lx.quoted());
    } while (lx.peek() == ' ');
    c.args = std::move(cu);
  } else if (n == "NOTIFY") {
    c.args = detail::parse_notify(lx);
  } else if (n == "SETACL" || n == "DELETEACL" || n == "GETACL" || n == "LISTRIGHTS" || n == "MYRIGHTS") {
    c.args = detail::parse_acl(lx, n);
  } else if (n == "GETQUOTA") {
    lx.sp();
    c.args = cmd_getquota{lx.astring()};
  } else if (n == "UID") {
    // uid = "UID" SP (copy / move / fetch / search / store / uid-expunge)
    lx.sp();
    auto sub = lx.upper_atom();
    c.name = "UID " + sub;
    if (sub == "FETCH") c.args = detail::parse_fetch_args(lx, true);
    else if (sub == "SEARCH") c.args = parse_search(lx, opts);
    else if (sub == "SORT") c.args = parse_sort(lx, opts);
    else if (sub == "THREAD") c.args = parse_thread(lx, opts);
    else if (sub == "STORE") c.args = parse_store(lx);
    else if (sub == "COPY" || sub == "MOVE") c.args = parse_copy(lx);
    else if (sub == "EXPUNGE") {  // RFC 4315 uid-expunge = "UID" SP "EXPUNGE" SP sequence-set
      lx.sp();
      c.args = cmd_uid_expunge{lx.seq_set()};
    } else {
      throw syntax_error{"imap.unknown_command", "unknown UID command"};
    }
  } else {
    throw syntax_error{"imap.unknown_command", "unknown command"};
  }
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
