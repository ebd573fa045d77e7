#include "mail/imap/proto/lexer.hpp"

#include "core/util/strings.hpp"
#include "mail/imap/proto/mutf7.hpp"

namespace hearth::mail::imap {
using util::iequals;
using util::istarts_with;
using util::to_lower;
using util::to_upper;

// atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
bool is_atom_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x1F || u >= 0x7F) return false;
  switch (c) {
    case '(': case ')': case '{': case ' ': case '%': case '*': case '"': case '\\': case ']':
      return false;
    default:
      return true;
  }
}
bool is_astring_char(char c) { return is_atom_char(c) || c == ']'; }

void lexer::fail(std::string msg, std::string code) const {
  throw syntax_error{std::move(code), std::move(msg)};
}

bool lexer::eat(char c) {
  if (peek() != c) return false;
  ++pos_;
  return true;
}

bool lexer::eat_word(std::string_view w) {
  if (s_.size() - pos_ < w.size() || !iequals(s_.substr(pos_, w.size()), w)) return false;
  std::size_t after = pos_ + w.size();
  if (after < s_.size() && is_atom_char(s_[after]))
    return false;
  pos_ = after;
  return true;
}

void lexer::expect(char c, const char* what) {
  if (!eat(c)) fail(std::string("expected ") + what);
}

bool lexer::at_crlf() const { return s_.substr(pos_, 2) == "\r\n"; }

void lexer::end() {
  if (!at_crlf() || pos_ + 2 != s_.size()) fail("unexpected characters at end of command");
  pos_ += 2;
}

std::string lexer::tag() {
  std::size_t b = pos_;
  while (pos_ < s_.size() && is_astring_char(s_[pos_]) && s_[pos_] != '+') ++pos_;
  if (b == pos_) fail("missing or bad tag");
  return std::string(s_.substr(b, pos_ - b));
}

std::string lexer::atom() {
  std::size_t b = pos_;
  while (pos_ < s_.size() && is_atom_char(s_[pos_])) ++pos_;
  if (b == pos_) fail("expected an atom");
  return std::string(s_.substr(b, pos_ - b));
}

std::string lexer::upper_atom() { return to_upper(atom()); }

std::string lexer::upper_att_name() {
  std::size_t b = pos_;
  while (pos_ < s_.size() && is_atom_char(s_[pos_]) && s_[pos_] != '[' && s_[pos_] != '<') ++pos_;
  if (b == pos_) fail("expected a fetch attribute");
  return to_upper(s_.substr(b, pos_ - b));
}

// quoted = DQUOTE *QUOTED-CHAR DQUOTE; QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> /
// "\" quoted-specials / UTF8-2 / UTF8-3 / UTF8-4 (RFC 9051 allows UTF-8 here).
std::string lexer::quoted() {
  expect('"', "quoted string");
  std::string out;
  for (;;) {
    if (pos_ >= s_.size()) fail("unterminated quoted string");
    char c = s_[pos_++];
    if (c == '"') break;
    if (c == '\r' || c == '\n' || c == '\0') fail("CR, LF or NUL in quoted string");
    if (c == '\\') {
      char n = peek();
      if (n != '"' && n != '\\') fail("bad escape in quoted string");
      ++pos_;
      c = n;
    }
    out += c;
  }
  if (!valid_utf8(out)) fail("quoted string is not UTF-8");
  return out;
}

// literal = "{" number64 ["+"] "}" CRLF *CHAR8; literal8 = "~{" number64 ["+"] "}" CRLF *OCTET
std::string lexer::literal(bool* binary) {
  bool is8 = false;
  if (binary && eat('~')) is8 = true;
  expect('{', "literal");
  std::uint64_t n = digits(UINT64_MAX / 2, "literal length");
  eat('+');
  expect('}', "} after literal length");
  if (!at_crlf()) fail("CRLF expected after literal length");
  pos_ += 2;
  if (n > s_.size() - pos_) fail("literal longer than the command");
  std::string out(s_.substr(pos_, static_cast<std::size_t>(n)));
  pos_ += static_cast<std::size_t>(n);
  if (!is8 && out.find('\0') != std::string::npos) fail("NUL in literal (use literal8)");
  if (binary) *binary = is8;
  return out;
}

std::string lexer::string() {
  if (peek() == '"') return quoted();
  if (peek() == '{') return literal();
  fail("expected a string");
}

std::string lexer::astring() {
  if (peek() == '"' || peek() == '{') return string();
  std::size_t b = pos_;
  while (pos_ < s_.size() && is_astring_char(s_[pos_])) ++pos_;
  if (b == pos_) fail("expected an astring");
  return std::string(s_.substr(b, pos_ - b));
}

std::optional<std::string> lexer::nstring() {
  if (eat_word("NIL")) return std::nullopt;
  return string();
}

std::string lexer::decode_name(std::string raw) {
  if (opts_.utf8_accept) {
    if (!valid_utf8(raw)) fail("mailbox name is not UTF-8");
    return raw;
  }
  // RFC 3501 §5.1.3 says a bad "&" run is malformed, but clients that never heard of modified
  // UTF-7 send names such as "R&D"; like Dovecot, such an "&" is taken literally.
  auto d = mutf7_decode(raw, true);
  if (!d) fail(d.error().message, d.error().code);
  return std::move(*d);
}

// mailbox = "INBOX" / astring; INBOX is case-insensitive (RFC 9051 §5.1).
std::string lexer::mailbox() {
  auto name = decode_name(astring());
  if (iequals(name, "INBOX")) return "INBOX";
  return name;
}

// list-mailbox = 1*list-char / string; list-char = ATOM-CHAR / list-wildcards / resp-specials
std::string lexer::list_mailbox() {
  if (peek() == '"' || peek() == '{') return decode_name(string());
  std::size_t b = pos_;
  while (pos_ < s_.size() &&
         (is_astring_char(s_[pos_]) || s_[pos_] == '%' || s_[pos_] == '*'))
    ++pos_;
  if (b == pos_) fail("expected a mailbox pattern");
  return decode_name(std::string(s_.substr(b, pos_ - b)));
}

// flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword / flag-extension
std::string lexer::flag() {
  if (eat('\\')) return "\\" + atom();
  auto a = atom();
  // NIL is the empty value in the grammar, never a keyword a client could mean (Dovecot: BAD).
  if (iequals(a, "NIL")) fail("NIL is not a flag");
  return a;
}

std::vector<std::string> lexer::flag_list() {
  expect('(', "( of flag list");
  std::vector<std::string> out;
  if (eat(')')) return out;
  for (std::size_t n = 0;; ++n) {
    if (n >= 1000) fail("too many flags", "imap.limit");
    out.push_back(flag());
    if (eat(')')) return out;
    sp();
  }
}

std::uint64_t lexer::digits(std::uint64_t max, const char* what) {
  std::size_t b = pos_;
  std::uint64_t v = 0;
  while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
    auto d = static_cast<std::uint64_t>(s_[pos_] - '0');
    if (v > (max - d) / 10) fail(std::string(what) + " out of range");
    v = v * 10 + d;
    ++pos_;
  }
  if (b == pos_) fail(std::string("expected ") + what);
  return v;
}

std::uint32_t lexer::number() { return static_cast<std::uint32_t>(digits(UINT32_MAX, "number")); }
std::uint32_t lexer::nz_number() {
  auto v = number();
  if (v == 0) fail("number must not be 0");
  return v;
}
std::uint64_t lexer::number64() { return digits(INT64_MAX, "number"); }
std::uint64_t lexer::mod_sequence_value() {
  auto v = number64();
  if (v == 0) fail("mod-sequence must not be 0");
  return v;
}

// sequence-set = (seq-number / seq-range) ["," sequence-set]; seq-range = seq-number ":" seq-number;
// seq-number = nz-number / "*"; seq-last-command = "$" (RFC 5182).
sequence_set lexer::seq_set() {
  sequence_set out;
  if (eat('$')) {
    out.saved = true;
    return out;
  }
  auto one = [&] { return eat('*') ? seq_range::star : nz_number(); };
  do {
    if (out.ranges.size() >= opts_.max_sequence_ranges) fail("sequence set too long", "imap.limit");
    seq_range r;
    r.lo = r.hi = one();
    if (eat(':')) r.hi = one();
    out.ranges.push_back(r);
  } while (eat(','));
  return out;
}

namespace {
int month_of(std::string_view m) {
  static constexpr std::string_view names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i)
    if (iequals(m, names[i])) return i + 1;
  return 0;
}
}  // namespace

// date-text = date-day "-" date-month "-" date-year
date lexer::read_date() {
  bool q = eat('"');
  date d;
  std::size_t b = pos_;
  d.day = static_cast<int>(digits(31, "day"));
  if (pos_ - b > 2 || d.day == 0) fail("bad day in date");
  expect('-', "- in date");
  if (s_.size() - pos_ < 3) fail("bad month in date");
  d.month = month_of(s_.substr(pos_, 3));
  if (d.month == 0) fail("bad month in date");
  pos_ += 3;
  expect('-', "- in date");
  b = pos_;
  d.year = static_cast<int>(digits(9999, "year"));
  if (pos_ - b != 4) fail("year must have 4 digits");
  if (q) expect('"', "closing quote of date");
  return d;
}

// date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
date_time lexer::read_date_time() {
  expect('"', "quoted date-time");
  date_time t;
  if (eat(' ')) {  // date-day-fixed = (SP DIGIT) / 2DIGIT
    if (peek() < '0' || peek() > '9') fail("bad day in date-time");
  }
  std::size_t b = pos_;
  t.day.day = static_cast<int>(digits(31, "day"));
  if (pos_ - b > 2 || t.day.day == 0) fail("bad day in date-time");
  expect('-', "- in date-time");
  if (s_.size() - pos_ < 3) fail("bad month in date-time");
  t.day.month = month_of(s_.substr(pos_, 3));
  if (t.day.month == 0) fail("bad month in date-time");
  pos_ += 3;
  expect('-', "- in date-time");
  auto fixed = [&](int n, std::uint64_t max, const char* what) {
    std::size_t start = pos_;
    auto v = digits(max, what);
    if (pos_ - start != static_cast<std::size_t>(n)) fail(std::string("bad ") + what);
    return static_cast<int>(v);
  };
  t.day.year = fixed(4, 9999, "year");
  sp();
  t.hour = fixed(2, 23, "hour");
  expect(':', ": in time");
  t.minute = fixed(2, 59, "minute");
  expect(':', ": in time");
  t.second = fixed(2, 60, "second");
  sp();
  int sign = eat('+') ? 1 : eat('-') ? -1 : 0;
  if (sign == 0) fail("bad zone in date-time");
  int z = fixed(4, 9999, "zone");
  if (z % 100 > 59) fail("bad zone in date-time");
  t.zone_minutes = sign * (z / 100 * 60 + z % 100);
  expect('"', "closing quote of date-time");
  return t;
}

}  // namespace hearth::mail::imap
