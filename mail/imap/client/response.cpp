#include "mail/imap/client/response.hpp"

#include <charconv>

#include "core/util/strings.hpp"

namespace hearth::mail::imap::client {
namespace {

hearth::error syntax(std::string m) { return fail("imap.syntax", std::move(m)); }
hearth::error over(std::string m) { return fail("imap.limit", std::move(m)); }

bool digit(char c) { return c >= '0' && c <= '9'; }

template <class T>
std::optional<T> number(std::string_view s) {
  T v{};
  if (s.empty() || !digit(s[0])) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// A literal's announced size at the end of a line: "{n}", "{n+}", "{n-}" (RFC 7888) or
// literal8 "~{n}" (RFC 3516). Returns the size, or nullopt when the line ends otherwise.
std::optional<std::uint64_t> literal_size(std::string_view line, bool& bad) {
  bad = false;
  if (line.empty() || line.back() != '}') return std::nullopt;
  auto open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  auto inner = line.substr(open + 1, line.size() - open - 2);
  if (!inner.empty() && (inner.back() == '+' || inner.back() == '-')) inner.remove_suffix(1);
  auto n = number<std::uint64_t>(inner);
  if (!n) {
    // "{" inside text ("* OK {x}") is not a literal; only all digits announce one.
    return std::nullopt;
  }
  if (inner.size() > 19) bad = true;
  return n;
}

// The tokenizer over one framed response.
class reader {
 public:
  reader(std::string_view s, const limits& l) : s_(s), l_(l) {}

  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool at_end() const { return s_.substr(pos_) == "\r\n" || pos_ >= s_.size(); }
  std::string_view rest() const { return s_.substr(pos_); }
  void skip(std::size_t n) { pos_ += n; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  // Up to the next space or CRLF.
  std::string_view word() {
    auto start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ' ' && s_[pos_] != '\r') ++pos_;
    return s_.substr(start, pos_ - start);
  }

  // The rest of the current line (resp-text), CRLF excluded.
  std::string_view line_rest() {
    auto end = s_.find("\r\n", pos_);
    if (end == std::string_view::npos) end = s_.size();
    auto out = s_.substr(pos_, end - pos_);
    pos_ = end;
    return out;
  }

  // Values up to the end of the response (or of the current list when depth > 0).
  result<void> values(std::vector<value>& out, int depth) {
    for (;;) {
      while (peek() == ' ') ++pos_;
      if (at_end()) {
        if (depth > 0) return syntax("unclosed parenthesis");
        pos_ = s_.size();
        return {};
      }
      if (peek() == ')') {
        if (depth == 0) return syntax("unbalanced ')'");
        ++pos_;
        return {};
      }
      if (++count_ > l_.max_values) return over("too many values in one response");
      value v;
      char c = peek();
      if (c == '(') {
        if (depth + 1 > l_.max_depth) return over("parentheses nested too deep");
        ++pos_;
        v.k = value::kind::list;
        if (auto r = values(v.items, depth + 1); !r) return r.error();
      } else if (c == '"') {
        v.k = value::kind::string;
        if (auto r = quoted_string(v.text); !r) return r.error();
      } else if (c == '{' || (c == '~' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '{')) {
        v.k = value::kind::string;
        if (auto r = literal(v.text); !r) return r.error();
      } else {
        if (auto r = atom(v.text); !r) return r.error();
        if (util::iequals(v.text, "NIL")) v.k = value::kind::nil;
      }
      out.push_back(std::move(v));
      if (peek() != ' ' && peek() != ')' && !at_end()) return syntax("values must be separated by a space");
    }
  }

 private:
  // quoted = DQUOTE *QUOTED-CHAR DQUOTE, with \" and \\ escapes.
  result<void> quoted_string(std::string& out) {
    ++pos_;
    for (;;) {
      if (pos_ >= s_.size()) return syntax("unterminated quoted string");
      char c = s_[pos_++];
      if (c == '"') return {};
      if (c == '\r' || c == '\n') return syntax("CR or LF in a quoted string");
      if (c == '\\') {
        if (pos_ >= s_.size()) return syntax("unterminated quoted string");
        c = s_[pos_++];
      }
      out.push_back(c);
    }
  }

  // literal = "{" number "}" CRLF *OCTET (the framer checked the size against the limits).
  result<void> literal(std::string& out) {
    if (peek() == '~') ++pos_;
    auto close = s_.find('}', pos_);
    if (close == std::string_view::npos) return syntax("bad literal");
    auto inner = s_.substr(pos_ + 1, close - pos_ - 1);
    if (!inner.empty() && (inner.back() == '+' || inner.back() == '-')) inner.remove_suffix(1);
    auto n = number<std::uint64_t>(inner);
    if (!n || s_.substr(close + 1, 2) != "\r\n") return syntax("bad literal");
    pos_ = close + 3;
    if (*n > s_.size() - pos_) return syntax("literal longer than the response");
    out.assign(s_.substr(pos_, *n));
    pos_ += *n;
    return {};
  }

  // Any run of atom characters; a "[...]" part (BODY[HEADER.FIELDS (A B)]) is taken whole,
  // spaces and parentheses included, and may be followed by "<origin>".
  result<void> atom(std::string& out) {
    auto start = pos_;
    int brackets = 0;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '\r' || c == '\n') break;
      if (brackets == 0 && (c == ' ' || c == '(' || c == ')' || c == '"' || c == '{')) break;
      if (c == '[') ++brackets;
      if (c == ']') {
        if (brackets == 0) return syntax("unbalanced ']'");
        --brackets;
      }
      ++pos_;
    }
    if (brackets != 0) return syntax("unclosed '['");
    if (pos_ == start) return syntax("expected a value");
    out.assign(s_.substr(start, pos_ - start));
    return {};
  }

  std::string_view s_;
  const limits& l_;
  std::size_t pos_ = 0;
  std::size_t count_ = 0;
};

// resp-text = ["[" resp-text-code "]" SP] text
void resp_text(reader& rd, response& r) {
  auto text = rd.line_rest();
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close != std::string_view::npos) {
      auto inner = text.substr(1, close - 1);
      auto sp = inner.find(' ');
      r.code = util::to_upper(inner.substr(0, sp));
      if (sp != std::string_view::npos) r.code_args = std::string(inner.substr(sp + 1));
      text.remove_prefix(close + 1);
      if (!text.empty() && text[0] == ' ') text.remove_prefix(1);
    }
  }
  r.text = std::string(text);
}

bool status_word(std::string_view w) {
  return util::iequals(w, "OK") || util::iequals(w, "NO") || util::iequals(w, "BAD") || util::iequals(w, "BYE") ||
         util::iequals(w, "PREAUTH");
}

const std::string_view months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec"};

std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Values that must be atoms or strings, as text.
std::optional<std::string> text_of(const value& v) {
  if (v.k == value::kind::atom || v.k == value::kind::string) return v.text;
  return std::nullopt;
}

}  // namespace

bool value::is_atom(std::string_view upper) const { return k == kind::atom && util::iequals(text, upper); }

void framer::feed(std::string_view bytes) {
  if (start_ > 0 && start_ >= buf_.size() / 2) {
    buf_.erase(0, start_);
    cursor_ -= start_;
    line_start_ -= start_;
    start_ = 0;
  }
  buf_.append(bytes);
}

result<std::optional<std::string>> framer::next() {
  for (;;) {
    auto crlf = buf_.find("\r\n", cursor_);
    if (crlf == std::string::npos) {
      if (buf_.size() - line_start_ > limits_.max_line) return over("response line too long");
      cursor_ = buf_.size() > line_start_ ? buf_.size() - 1 : line_start_;
      if (cursor_ < line_start_) cursor_ = line_start_;
      return std::optional<std::string>{};
    }
    if (crlf - line_start_ > limits_.max_line) return over("response line too long");
    std::string_view line(buf_.data() + line_start_, crlf - line_start_);
    bool bad = false;
    auto n = literal_size(line, bad);
    if (bad) return syntax("literal size out of range");
    if (!n) {
      std::string out = buf_.substr(start_, crlf + 2 - start_);
      start_ = cursor_ = line_start_ = crlf + 2;
      literals_ = 0;
      return std::optional<std::string>{std::move(out)};
    }
    if (*n > limits_.max_literal) return over("literal of " + std::to_string(*n) + " octets is too big");
    if (++literals_ > limits_.max_literals) return over("too many literals in one response");
    std::size_t end = crlf + 2 + *n;
    if (end - start_ > limits_.max_response) return over("response too big");
    if (buf_.size() < end) {
      cursor_ = crlf;  // find the same CRLF again once the literal is here
      return std::optional<std::string>{};
    }
    cursor_ = line_start_ = end;
  }
}

result<response> parse_response(std::string_view framed, const limits& l) {
  if (framed.size() < 2 || framed.substr(framed.size() - 2) != "\r\n") return syntax("a response ends in CRLF");
  response r;
  reader rd(framed, l);
  if (rd.eat('+')) {
    r.k = response::kind::continuation;
    rd.eat(' ');
    resp_text(rd, r);
    return r;
  }
  if (rd.eat('*')) {
    if (!rd.eat(' ')) return syntax("expected a space after '*'");
    auto w = rd.word();
    if (w.empty()) return syntax("empty untagged response");
    if (status_word(w)) {
      r.status = util::to_upper(w);
      rd.eat(' ');
      resp_text(rd, r);
      return r;
    }
    if (digit(w[0])) {
      auto n = number<std::uint32_t>(w);
      if (!n) return syntax("bad message number");
      r.number = *n;
      if (!rd.eat(' ')) return syntax("expected a space after the number");
      w = rd.word();
      if (w.empty()) return syntax("expected a response name");
    }
    r.name = util::to_upper(w);
    if (auto v = rd.values(r.data, 0); !v) return v.error();
    return r;
  }
  r.k = response::kind::tagged;
  auto tag = rd.word();
  if (tag.empty()) return syntax("empty tag");
  r.tag = std::string(tag);
  if (!rd.eat(' ')) return syntax("expected a space after the tag");
  auto w = rd.word();
  if (!status_word(w) || util::iequals(w, "PREAUTH")) return syntax("a tagged response is OK, NO, BAD or BYE");
  r.status = util::to_upper(w);
  rd.eat(' ');
  resp_text(rd, r);
  return r;
}

std::vector<std::string> capabilities(const response& r) {
  std::vector<std::string> out;
  if (r.code == "CAPABILITY") {
    for (auto w : util::split(r.code_args, ' '))
      if (!w.empty()) out.push_back(util::to_upper(w));
  } else if (r.name == "CAPABILITY") {
    for (const auto& v : r.data)
      if (v.k == value::kind::atom) out.push_back(util::to_upper(v.text));
  }
  return out;
}

bool list_entry::has_attribute(std::string_view a) const {
  for (const auto& x : attributes)
    if (util::iequals(x, a)) return true;
  return false;
}

result<list_entry> parse_list(const response& r) {
  // mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox
  //                [SP mbox-list-extended]
  if ((r.name != "LIST" && r.name != "LSUB") || r.data.size() < 3 || r.data[0].k != value::kind::list)
    return syntax("bad LIST response");
  list_entry e;
  for (const auto& a : r.data[0].items) {
    if (a.k != value::kind::atom) return syntax("bad LIST attribute");
    e.attributes.push_back(a.text);
  }
  if (r.data[1].k == value::kind::string && r.data[1].text.size() == 1) {
    e.delimiter = r.data[1].text[0];
  } else if (r.data[1].k != value::kind::nil) {
    return syntax("bad LIST delimiter");
  }
  auto name = text_of(r.data[2]);
  if (!name) return syntax("bad LIST mailbox name");
  e.name = std::move(*name);
  return e;
}

result<fetch_data> parse_fetch(const response& r) {
  if (r.name != "FETCH" || !r.number || r.data.size() != 1 || r.data[0].k != value::kind::list)
    return syntax("bad FETCH response");
  fetch_data f;
  f.seq = *r.number;
  const auto& items = r.data[0].items;
  if (items.size() % 2 != 0) return syntax("FETCH items come in pairs");
  for (std::size_t i = 0; i < items.size(); i += 2) {
    const auto& key = items[i];
    const auto& v = items[i + 1];
    if (key.k != value::kind::atom) return syntax("bad FETCH item name");
    auto name = util::to_upper(key.text);
    if (name == "UID") {
      auto n = v.k == value::kind::atom ? number<std::uint32_t>(v.text) : std::nullopt;
      if (!n || *n == 0) return syntax("bad UID");
      f.uid = *n;
    } else if (name == "FLAGS") {
      if (v.k != value::kind::list) return syntax("bad FLAGS");
      std::vector<std::string> flags;
      for (const auto& x : v.items) {
        if (x.k != value::kind::atom) return syntax("bad flag");
        flags.push_back(x.text);
      }
      f.flags = std::move(flags);
    } else if (name == "INTERNALDATE") {
      if (v.k != value::kind::string) return syntax("bad INTERNALDATE");
      auto t = parse_date_time(v.text);
      if (!t) return t.error();
      f.internal_date = *t;
    } else if (name == "RFC822.SIZE") {
      auto n = v.k == value::kind::atom ? number<std::uint64_t>(v.text) : std::nullopt;
      if (!n) return syntax("bad RFC822.SIZE");
      f.size = *n;
    } else if (name == "X-GM-MSGID") {
      auto n = v.k == value::kind::atom ? number<std::uint64_t>(v.text) : std::nullopt;
      if (!n) return syntax("bad X-GM-MSGID");
      f.gm_msgid = v.text;
    } else if (name == "X-GM-LABELS") {
      if (v.k != value::kind::list) return syntax("bad X-GM-LABELS");
      std::vector<std::string> labels;
      for (const auto& x : v.items) {
        auto t = text_of(x);
        if (!t) return syntax("bad label");
        labels.push_back(std::move(*t));
      }
      f.gm_labels = std::move(labels);
    } else if (name == "BODY[]" || name == "RFC822" || name == "BINARY[]" || name.rfind("BODY[]<", 0) == 0) {
      if (v.k == value::kind::string) f.body = v.text;
      else if (v.k == value::kind::nil) f.body = std::string();
      else return syntax("bad message body");
    } else if (name.rfind("BODY[HEADER", 0) == 0 || name == "RFC822.HEADER") {
      if (v.k == value::kind::string) f.header = v.text;
      else if (v.k == value::kind::nil) f.header = std::string();
      else return syntax("bad header section");
    }
    // Anything else (MODSEQ, ENVELOPE, X-GM-THRID...) is not needed for a copy.
  }
  return f;
}

result<std::vector<std::uint32_t>> parse_search(const response& r, std::size_t max) {
  std::vector<std::uint32_t> out;
  if (r.name == "SEARCH") {
    for (const auto& v : r.data) {
      if (v.k == value::kind::list) continue;  // (MODSEQ n), RFC 7162 §3.1.5
      if (v.is_atom("MODSEQ")) continue;
      auto n = v.k == value::kind::atom ? number<std::uint32_t>(v.text) : std::nullopt;
      if (!n) return syntax("bad SEARCH number");
      if (out.size() >= max) return over("too many search results");
      out.push_back(*n);
    }
    return out;
  }
  if (r.name != "ESEARCH") return syntax("not a SEARCH response");
  for (std::size_t i = 0; i + 1 < r.data.size(); ++i) {
    if (!r.data[i].is_atom("ALL") || r.data[i + 1].k != value::kind::atom) continue;
    for (auto part : util::split(r.data[i + 1].text, ',')) {
      auto colon = part.find(':');
      auto a = number<std::uint32_t>(part.substr(0, colon));
      auto b = colon == std::string_view::npos ? a : number<std::uint32_t>(part.substr(colon + 1));
      if (!a || !b) return syntax("bad ESEARCH set");
      if (*a > *b) std::swap(*a, *b);
      if (*b - *a >= max || out.size() + (*b - *a) >= max) return over("too many search results");
      for (std::uint64_t n = *a; n <= *b; ++n) out.push_back(static_cast<std::uint32_t>(n));
    }
  }
  return out;
}

result<std::int64_t> parse_date_time(std::string_view s) {
  // date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
  if (!s.empty() && s[0] == ' ') s.remove_prefix(1);
  // "d-Mon-yyyy hh:mm:ss +zzzz" or "dd-..."
  auto dash = s.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 2) return syntax("bad date-time");
  auto day = number<int>(s.substr(0, dash));
  s.remove_prefix(dash + 1);
  if (s.size() < 3 + 1 + 4 + 1 + 8 + 1 + 5) return syntax("bad date-time");
  int month = 0;
  for (int i = 0; i < 12; ++i)
    if (util::iequals(s.substr(0, 3), months[i])) month = i + 1;
  auto year = number<int>(s.substr(4, 4));
  auto hh = number<int>(s.substr(9, 2)), mm = number<int>(s.substr(12, 2)), ss = number<int>(s.substr(15, 2));
  auto zone = s.substr(18, 5);
  auto zh = number<int>(zone.substr(1, 2)), zm = number<int>(zone.substr(3, 2));
  if (!day || !month || !year || !hh || !mm || !ss || !zh || !zm || s[3] != '-' || s[8] != ' ' || s[11] != ':' ||
      s[14] != ':' || s[17] != ' ' || (zone[0] != '+' && zone[0] != '-') || s.size() != 23)
    return syntax("bad date-time");
  if (*day < 1 || *day > 31 || *hh > 23 || *mm > 59 || *ss > 60 || *zm > 59) return syntax("bad date-time");
  std::int64_t offset = (*zh * 60 + *zm) * 60;
  if (zone[0] == '-') offset = -offset;
  return days_from_civil(*year, month, *day) * 86400 + *hh * 3600 + *mm * 60 + *ss - offset;
}

std::string format_date(std::int64_t t) {
  std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  // civil_from_days (the inverse of days_from_civil)
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  std::string mon(months[m - 1]);
  mon[0] = util::ascii_upper(mon[0]);
  return std::to_string(d) + "-" + mon + "-" + std::to_string(y);
}

std::optional<std::string> quoted(std::string_view s, bool utf8) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n' || c == '\0') return std::nullopt;
    if (u >= 0x80 && !utf8) return std::nullopt;
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string uid_set(const std::vector<std::uint32_t>& uids) {
  std::string out;
  for (std::size_t i = 0; i < uids.size();) {
    std::size_t j = i;
    while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
    if (!out.empty()) out.push_back(',');
    out += std::to_string(uids[i]);
    if (j > i) out += ":" + std::to_string(uids[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace hearth::mail::imap::client
