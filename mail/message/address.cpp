#include "mail/message/address.hpp"

#include "mail/message/encoding.hpp"

namespace hearth::mail {

namespace {

constexpr int max_comment_depth = 50;

enum class tok { atom, quoted, literal, special, end };

struct token {
  tok kind = tok::end;
  std::string text;  // atom text, quoted-string content (unescaped), literal "[..]", special
  bool space_before = false;  // CFWS preceded the token (for display-name spacing)
  std::string comment;        // the last comment in that CFWS, without its outer parentheses
};

// RFC 5322 §3.2.3 atext, plus octets >= 0x80 (RFC 6532 UTF-8 and raw 8-bit in the wild).
bool is_atext(unsigned char c) {
  if (c >= 0x80) return true;
  if (c <= 32 || c == 127) return false;
  switch (c) {
    case '(': case ')': case '<': case '>': case '[': case ']': case ':': case ';':
    case '@': case '\\': case ',': case '.': case '"':
      return false;
    default:
      return true;
  }
}

class lexer {
 public:
  explicit lexer(std::string_view s) : s_(s) {}
  bool malformed = false;

  token next() {
    token t;
    t.space_before = skip_cfws(t.comment);
    if (i_ >= s_.size()) return t;
    auto c = static_cast<unsigned char>(s_[i_]);
    if (c == '"') {
      t.kind = tok::quoted;
      ++i_;
      while (i_ < s_.size() && s_[i_] != '"') {
        if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;  // quoted-pair, §3.2.1
        if (s_[i_] != '\r' && s_[i_] != '\n') t.text.push_back(s_[i_]);
        ++i_;
      }
      if (i_ < s_.size()) ++i_; else malformed = true;
    } else if (c == '[') {
      t.kind = tok::literal;
      std::size_t close = s_.find(']', i_);
      if (close == std::string_view::npos) { malformed = true; close = s_.size() - 1; }
      t.text = std::string(s_.substr(i_, close + 1 - i_));
      i_ = close + 1;
    } else if (is_atext(c)) {
      t.kind = tok::atom;
      while (i_ < s_.size() && is_atext(static_cast<unsigned char>(s_[i_]))) t.text.push_back(s_[i_++]);
    } else {
      t.kind = tok::special;
      t.text = std::string(1, static_cast<char>(c));
      ++i_;
    }
    return t;
  }

 private:
  // Skips whitespace and nested comments (§3.2.2); returns whether anything was skipped.
  // `comment` gets the text of the last comment (quoted-pairs unescaped, line breaks dropped).
  bool skip_cfws(std::string& comment) {
    bool any = false;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++i_;
        any = true;
      } else if (c == '(') {
        int depth = 0;
        any = true;
        comment.clear();
        while (i_ < s_.size()) {
          char d = s_[i_++];
          const bool escaped = d == '\\' && i_ < s_.size();
          if (escaped) d = s_[i_++];
          else if (d == '(' && ++depth > max_comment_depth) malformed = true;
          else if (d == ')' && --depth == 0) break;
          if (!escaped && depth == 1 && d == '(') continue;  // the outer parenthesis itself
          if (d != '\r' && d != '\n') comment.push_back(d);
        }
        if (depth > 0) malformed = true;
      } else {
        break;
      }
    }
    return any;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

bool is_special(const token& t, char c) { return t.kind == tok::special && t.text[0] == c; }

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

class parser {
 public:
  explicit parser(std::string_view s) : lex_(s) { advance(); }

  address_list run() {
    address_list out;
    std::size_t kept = 0;
    while (cur_.kind != tok::end) {
      if (is_special(cur_, ',')) { advance(); continue; }  // obs-addr-list empty elements
      address_entry e;
      if (!entry(e)) {
        malformed_ = true;
        skip_to_comma(false);
        continue;
      }
      std::size_t n = e.is_group ? e.members.size() : 1;
      if (kept + n > max_addresses) { out.truncated = true; break; }
      kept += n;
      out.entries.push_back(std::move(e));
      if (cur_.kind != tok::end && !is_special(cur_, ',')) {
        malformed_ = true;
        skip_to_comma(false);
      }
    }
    out.malformed = malformed_ || lex_.malformed;
    return out;
  }

 private:
  void advance() { cur_ = lex_.next(); }

  void skip_to_comma(bool stop_at_semicolon) {
    while (cur_.kind != tok::end && !is_special(cur_, ',') &&
           !(stop_at_semicolon && is_special(cur_, ';')))
      advance();
  }

  // phrase = 1*word / obs-phrase (words and dots); returns the display form.
  std::string phrase(std::vector<token>& words) {
    std::string out;
    while (cur_.kind == tok::atom || cur_.kind == tok::quoted || is_special(cur_, '.')) {
      words.push_back(cur_);
      advance();
    }
    for (std::size_t k = 0; k < words.size(); ++k) {
      if (k > 0 && words[k].space_before) out.push_back(' ');
      out += words[k].text;
    }
    return out;
  }

  // local-part from already read words: word *("." word), CFWS around dots tolerated.
  static std::string join_local(const std::vector<token>& words) {
    std::string out;
    for (const auto& w : words) out += w.text;
    return out;
  }

  // domain = dot-atom / domain-literal / obs-domain
  std::string domain() {
    std::string out;
    while (cur_.kind == tok::atom || cur_.kind == tok::literal || is_special(cur_, '.')) {
      out += cur_.text;
      advance();
    }
    return out;
  }

  // After '<': [obs-route] addr-spec '>'
  bool angle_addr(address& a) {
    advance();  // '<'
    // obs-route = obs-domain-list ":"  with obs-domain-list = *(CFWS / ",") "@" domain ...
    if (is_special(cur_, '@')) {
      std::string route;
      while (is_special(cur_, '@') || is_special(cur_, ',')) {
        if (is_special(cur_, ',')) { route += ','; advance(); continue; }
        advance();
        route += '@' + domain();
      }
      if (!is_special(cur_, ':')) return false;
      advance();
      a.route = route;
    }
    if (is_special(cur_, '>')) {  // "<>" null path: allowed in Return-Path, empty here
      advance();
      return true;
    }
    std::vector<token> words;
    phrase(words);
    a.local_part = join_local(words);
    if (is_special(cur_, '@')) {
      advance();
      a.domain = domain();
    }
    if (a.local_part.empty() || a.domain.empty()) malformed_ = true;
    if (!is_special(cur_, '>')) {
      malformed_ = true;
      // Lenient: skip to the '>' if there is one before the next separator.
      while (cur_.kind != tok::end && !is_special(cur_, '>') && !is_special(cur_, ',')) advance();
      if (!is_special(cur_, '>')) return !a.local_part.empty();
    }
    advance();
    return true;
  }

  // mailbox = name-addr / addr-spec, or a group when `allow_group`.
  bool entry(address_entry& e, bool allow_group = true) {
    std::vector<token> words;
    std::string display = phrase(words);
    if (is_special(cur_, '<')) {
      e.mailbox.display_name = decode_encoded_words(display).text;
      return angle_addr(e.mailbox);
    }
    if (allow_group && is_special(cur_, ':') && !words.empty()) {
      // group = display-name ":" [group-list] ";"   (§3.4)
      advance();
      e.is_group = true;
      e.group_name = decode_encoded_words(display).text;
      while (cur_.kind != tok::end && !is_special(cur_, ';')) {
        if (is_special(cur_, ',')) { advance(); continue; }
        address_entry m;
        if (entry(m, false) && !m.is_group) {
          e.members.push_back(std::move(m.mailbox));
        } else {
          malformed_ = true;
          skip_to_comma(true);
        }
        if (e.members.size() > max_addresses) break;
      }
      if (is_special(cur_, ';')) advance(); else malformed_ = true;
      return true;
    }
    if (words.empty()) return false;
    // addr-spec = local-part "@" domain
    e.mailbox.local_part = join_local(words);
    if (is_special(cur_, '@')) {
      advance();
      e.mailbox.domain = domain();
    }
    if (e.mailbox.domain.empty()) malformed_ = true;
    // The old "user@domain (Real Name)" form has no phrase: its trailing comment is the name
    // (as Dovecot and most clients read it; RFC 2047 §5 allows encoded-words there).
    e.mailbox.display_name = decode_encoded_words(trim(cur_.comment)).text;
    return true;
  }

  lexer lex_;
  token cur_;
  bool malformed_ = false;
};

bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (s[i - 1] == '.') return false;
    } else if (!is_atext(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string address::addr_spec() const {
  std::string out;
  if (is_dot_atom(local_part)) {
    out = local_part;
  } else {
    out.push_back('"');
    for (char c : local_part) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('@');
  out += domain;
  return out;
}

std::vector<address> address_list::mailboxes() const {
  std::vector<address> out;
  for (const auto& e : entries) {
    if (e.is_group)
      out.insert(out.end(), e.members.begin(), e.members.end());
    else
      out.push_back(e.mailbox);
  }
  return out;
}

address_list parse_address_list(std::string_view value) { return parser(value).run(); }

}  // namespace hearth::mail
