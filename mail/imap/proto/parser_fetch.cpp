// FETCH arguments (RFC 9051 §6.4.5, RFC 3516 BINARY, RFC 7162 CONDSTORE/QRESYNC modifiers).
#include "mail/imap/proto/parser.hpp"

#include "core/util/strings.hpp"

namespace hearth::mail::imap {
namespace detail {
// section = "[" [section-spec] "]"; section-spec = section-msgtext / (section-part ["." section-text])
// section-part = nz-number *("." nz-number); section-text = section-msgtext / "MIME"
// section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
section_spec parse_section(lexer& lx, bool binary) {
  section_spec s;
  lx.expect('[', "[ of section");
  if (lx.eat(']')) return s;
  bool want_text = true;
  if (lx.peek() >= '0' && lx.peek() <= '9') {
    want_text = false;
    for (;;) {
      if (s.part.size() >= 64) lx.fail("section part too deep", "imap.limit");
      s.part.push_back(lx.nz_number());
      if (!lx.eat('.')) break;
      if (lx.peek() < '0' || lx.peek() > '9') {
        want_text = true;
        break;
      }
    }
  }
  if (want_text) {
    // section-binary = "[" [section-part] "]": no text part for BINARY (RFC 3516 §4.2)
    if (binary) lx.fail("BINARY section takes part numbers only");
    s.text = lx.upper_atom();
    if (s.text == "HEADER.FIELDS" || s.text == "HEADER.FIELDS.NOT") {
      lx.sp();
      lx.expect('(', "( of header-list");
      for (;;) {
        if (s.fields.size() >= 256) lx.fail("too many header fields", "imap.limit");
        s.fields.push_back(lx.astring());  // header-fld-name = astring
        if (lx.eat(')')) break;
        lx.sp();
      }
    } else if (s.text == "MIME") {
      if (s.part.empty()) lx.fail("MIME needs a section part");
    } else if (s.text != "HEADER" && s.text != "TEXT") {
      lx.fail("unknown section text " + s.text);
    }
  }
  lx.expect(']', "] of section");
  return s;
}

// partial = "<" number64 "." nz-number64 ">"
std::optional<partial> parse_partial(lexer& lx) {
  if (!lx.eat('<')) return std::nullopt;
  partial p;
  p.offset = lx.number64();
  lx.expect('.', ". in partial");
  p.length = lx.number64();
  if (p.length == 0) lx.fail("partial length must not be 0");
  lx.expect('>', "> of partial");
  return p;
}
}  // namespace detail

namespace {


// fetch-att = "ENVELOPE" / "FLAGS" / "INTERNALDATE" / "RFC822" [".HEADER" / ".TEXT"] / "RFC822.SIZE" /
//   "BODY" ["STRUCTURE"] / "UID" / "BODY" section [partial] / "BODY.PEEK" section [partial] /
//   "BINARY" [".PEEK"] section-binary [partial] / "BINARY.SIZE" section-binary / "MODSEQ" /
//   "EMAILID" / "THREADID" (RFC 8474 §7) / "SAVEDATE" (RFC 8514 §5) /
//   "PREVIEW" [SP "(" preview-mod *(SP preview-mod) ")"], preview-mod = "LAZY" (RFC 8970)
fetch_att parse_att(lexer& lx) {
  fetch_att a;
  a.name = lx.upper_att_name();
  const auto& n = a.name;
  if (n == "PREVIEW") {
    // "FETCH 1 PREVIEW (CHANGEDSINCE 5)" has fetch modifiers, not preview modifiers: only a
    // parenthesised list starting with a known preview-mod belongs to PREVIEW.
    if (util::istarts_with(lx.rest(), " (LAZY")) {
      lx.sp();
      lx.expect('(', "( of PREVIEW modifiers");
      for (std::size_t i = 0;; ++i) {
        if (i >= 4) lx.fail("too many PREVIEW modifiers");
        auto mod = lx.upper_atom();
        // RFC 8970: LAZY lets the server answer NIL for a preview it has not computed yet;
        // Hearth always computes it, so LAZY changes nothing.
        if (mod != "LAZY") lx.fail("unknown PREVIEW modifier " + mod);
        if (lx.eat(')')) break;
        lx.sp();
      }
    }
    return a;
  }
  if (n == "ENVELOPE" || n == "FLAGS" || n == "INTERNALDATE" || n == "RFC822" ||
      n == "RFC822.HEADER" || n == "RFC822.TEXT" || n == "RFC822.SIZE" || n == "BODYSTRUCTURE" ||
      n == "UID" || n == "MODSEQ" || n == "EMAILID" || n == "THREADID" || n == "SAVEDATE" || (n == "BODY" && lx.peek() != '['))
    return a;
  if (n == "BODY" || n == "BODY.PEEK" || n == "BINARY" || n == "BINARY.PEEK" || n == "BINARY.SIZE") {
    bool binary = n.starts_with("BINARY");
    a.peek = n.ends_with(".PEEK");
    a.name = binary ? (n == "BINARY.SIZE" ? "BINARY.SIZE" : "BINARY") : "BODY";
    a.has_section = true;
    a.section = detail::parse_section(lx, binary);
    if (a.name != "BINARY.SIZE") a.range = detail::parse_partial(lx);
    return a;
  }
  lx.fail("unknown fetch attribute " + n);
}

void add(cmd_fetch& f, std::initializer_list<const char*> names) {
  for (auto* nm : names) f.atts.push_back(fetch_att{nm, false, false, {}, std::nullopt});
}

}  // namespace

void detail::parse_fetch_att_list(lexer& lx, std::vector<fetch_att>& out, std::size_t max) {
  lx.expect('(', "( of fetch attributes");
  for (;;) {
    if (out.size() >= max) lx.fail("too many fetch attributes", "imap.limit");
    out.push_back(parse_att(lx));
    if (lx.eat(')')) break;
    lx.sp();
  }
}

// fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att /
//         "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]
cmd_fetch detail::parse_fetch_args(lexer& lx, bool uid) {
  cmd_fetch f;
  lx.sp();
  f.set = lx.seq_set();
  lx.sp();
  // Macros (RFC 9051 §6.4.5): ALL = FLAGS INTERNALDATE RFC822.SIZE ENVELOPE; FAST = the first
  // three; FULL = ALL + BODY.
  if (lx.eat_word("ALL")) add(f, {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"});
  else if (lx.eat_word("FAST")) add(f, {"FLAGS", "INTERNALDATE", "RFC822.SIZE"});
  else if (lx.eat_word("FULL")) add(f, {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"});
  else if (lx.peek() == '(') {
    detail::parse_fetch_att_list(lx, f.atts, 100);
  } else {
    f.atts.push_back(parse_att(lx));
  }
  // fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")"  (RFC 7162 §3.1.4.1, §3.2.6)
  if (lx.eat(' ')) {
    lx.expect('(', "( of fetch modifiers");
    for (std::size_t n = 0;; ++n) {
      if (n >= 4) lx.fail("too many fetch modifiers");
      if (lx.eat_word("CHANGEDSINCE")) {
        lx.sp();
        // RFC 7162's grammar says mod-sequence-value (> 0), but Thunderbird with CONDSTORE on
        // sends CHANGEDSINCE 0 for a folder it has no HIGHESTMODSEQ for yet, and a BAD there is
        // an error dialog. Every message's modseq is above 0, so 0 simply means "all of them".
        f.changed_since = lx.number64();
      } else if (lx.eat_word("VANISHED")) {
        f.vanished = true;
      } else {
        lx.fail("unknown fetch modifier");
      }
      if (lx.eat(')')) break;
      lx.sp();
    }
    // RFC 7162 §3.2.6: VANISHED only in UID FETCH and only together with CHANGEDSINCE.
    if (f.vanished && (!uid || !f.changed_since)) lx.fail("VANISHED needs UID FETCH and CHANGEDSINCE");
  }
  return f;
}

}  // namespace hearth::mail::imap
