// RFC 5228 §8 grammar: lexical tokens (§8.1) and commands/tests (§8.2).
//
//   commands  = *command
//   command   = identifier arguments (";" / block)
//   arguments = *argument [ test / test-list ]
//   argument  = string-list / number / tag
//   test      = identifier arguments
//   test-list = "(" test *("," test) ")"
//   block     = "{" commands "}"
#include "mail/sieve/internal.hpp"

#include <cctype>
#include <limits>

namespace hearth::mail::sieve::detail {
namespace {

enum class tok { end, identifier, tag, number, string, multiline, semicolon, comma, lparen, rparen,
                 lbracket, rbracket, lbrace, rbrace, error };

struct token {
  tok t = tok::end;
  pos at;
  std::string text;  // identifier/tag (lower case), string contents
  std::uint64_t number = 0;
};

class lexer {
 public:
  explicit lexer(std::string_view s) : s_(s) {}

  // Reads the next token; on a lexical error returns tok::error with err_ set.
  token next() {
    skip_space();
    token t;
    t.at = here();
    if (!err_.message.empty()) { t.t = tok::error; return t; }
    if (i_ >= s_.size()) { t.t = tok::end; return t; }
    char c = s_[i_];
    auto single = [&](tok k) { advance(1); t.t = k; return t; };
    switch (c) {
      case ';': return single(tok::semicolon);
      case ',': return single(tok::comma);
      case '(': return single(tok::lparen);
      case ')': return single(tok::rparen);
      case '[': return single(tok::lbracket);
      case ']': return single(tok::rbracket);
      case '{': return single(tok::lbrace);
      case '}': return single(tok::rbrace);
      case '"': return quoted(t);
      case ':': {
        advance(1);
        if (i_ >= s_.size() || !(std::isalpha(uc(s_[i_])) || s_[i_] == '_'))
          return fail(t, "expected a tag name after ':'");
        t.t = tok::tag;
        t.text = ident();
        return t;
      }
      default: break;
    }
    if (std::isdigit(uc(c))) return number(t);
    if (std::isalpha(uc(c)) || c == '_') {
      std::string id = ident();
      // "text:" starts a multi-line string (§8.1).
      if (id == "text" && i_ < s_.size() && s_[i_] == ':') {
        advance(1);
        return multiline(t);
      }
      t.t = tok::identifier;
      t.text = std::move(id);
      return t;
    }
    return fail(t, std::string("unexpected character '") + printable(c) + "'");
  }

  const compile_error& error() const { return err_; }
  pos here() const { return {line_, col_}; }

 private:
  static unsigned char uc(char c) { return static_cast<unsigned char>(c); }
  static std::string printable(char c) {
    if (uc(c) >= 0x20 && uc(c) < 0x7f) return std::string(1, c);
    static const char* hex = "0123456789ABCDEF";
    return std::string("\\x") + hex[uc(c) >> 4] + hex[uc(c) & 15];
  }

  void advance(std::size_t n) {
    for (std::size_t k = 0; k < n && i_ < s_.size(); ++k, ++i_) {
      if (s_[i_] == '\n') { ++line_; col_ = 1; }
      else ++col_;
    }
  }

  token fail(token& t, std::string msg) {
    t.t = tok::error;
    if (err_.message.empty()) err_ = {t.at, std::move(msg)};
    return t;
  }

  void skip_space() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') { advance(1); continue; }
      if (c == '#') {
        while (i_ < s_.size() && s_[i_] != '\n') advance(1);
        continue;
      }
      if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '*') {
        pos start = here();
        advance(2);
        auto end = s_.find("*/", i_);
        if (end == std::string_view::npos) {
          err_ = {start, "unterminated comment"};
          i_ = s_.size();
          return;
        }
        advance(end + 2 - i_);
        continue;
      }
      break;
    }
  }

  std::string ident() {
    std::string r;
    while (i_ < s_.size() && (std::isalnum(uc(s_[i_])) || s_[i_] == '_')) {
      r += static_cast<char>(std::tolower(uc(s_[i_])));
      advance(1);
    }
    return r;
  }

  token number(token& t) {
    std::uint64_t v = 0;
    constexpr std::uint64_t max = std::numeric_limits<std::int64_t>::max();
    while (i_ < s_.size() && std::isdigit(uc(s_[i_]))) {
      unsigned d = s_[i_] - '0';
      if (v > (max - d) / 10) return fail(t, "number is too large");
      v = v * 10 + d;
      advance(1);
    }
    if (i_ < s_.size()) {
      // §2.4.1 quantifiers: K = 2^10, M = 2^20, G = 2^30.
      int shift = 0;
      switch (s_[i_]) {
        case 'K': case 'k': shift = 10; break;
        case 'M': case 'm': shift = 20; break;
        case 'G': case 'g': shift = 30; break;
        default: break;
      }
      if (shift) {
        if (v > (max >> shift)) return fail(t, "number is too large");
        v <<= shift;
        advance(1);
      }
      if (i_ < s_.size() && (std::isalpha(uc(s_[i_])) || s_[i_] == '_'))
        return fail(t, "invalid character after a number");
    }
    t.t = tok::number;
    t.number = v;
    return t;
  }

  token quoted(token& t) {
    advance(1);
    std::string r;
    while (true) {
      if (i_ >= s_.size()) {
        err_ = {t.at, "unterminated string"};
        t.t = tok::error;
        return t;
      }
      char c = s_[i_];
      if (c == '"') { advance(1); break; }
      if (c == '\\') {
        // §2.4.2: "\\" and "\"" are the escapes; a backslash before any other character is
        // dropped.
        advance(1);
        if (i_ >= s_.size()) continue;
        c = s_[i_];
      }
      r += c;
      advance(1);
    }
    t.t = tok::string;
    t.text = std::move(r);
    return t;
  }

  token multiline(token& t) {
    // §8.1: multi-line = "text:" *(SP / HTAB) (hash-comment / CRLF) *(multiline-literal /
    // multiline-dotstart) "." CRLF
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) advance(1);
    if (i_ < s_.size() && s_[i_] == '#') {
      while (i_ < s_.size() && s_[i_] != '\n') advance(1);
    } else if (i_ < s_.size() && s_[i_] == '\r' && i_ + 1 < s_.size() && s_[i_ + 1] == '\n') {
    } else if (i_ >= s_.size() || s_[i_] != '\n') {
      return fail(t, "expected end of line after 'text:'");
    }
    if (i_ < s_.size() && s_[i_] == '\r') advance(1);
    if (i_ >= s_.size()) return fail(t, "unterminated multi-line string");
    advance(1);  // the LF
    std::string r;
    while (true) {
      if (i_ >= s_.size()) {
        err_ = {t.at, "unterminated multi-line string"};
        t.t = tok::error;
        return t;
      }
      auto eol = s_.find('\n', i_);
      std::string_view line = s_.substr(i_, eol == std::string_view::npos ? s_.size() - i_ : eol - i_);
      std::string_view content = line;
      if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
      if (content == "." && eol != std::string_view::npos) {
        advance(line.size() + 1);
        break;
      }
      if (eol == std::string_view::npos) {
        err_ = {t.at, "unterminated multi-line string"};
        t.t = tok::error;
        return t;
      }
      // Dot-stuffing: a line starting with ".." stands for a line starting with ".".
      if (content.size() >= 2 && content[0] == '.' && content[1] == '.') content.remove_prefix(1);
      r.append(content);
      r += "\r\n";
      advance(line.size() + 1);
    }
    t.t = tok::multiline;
    t.text = std::move(r);
    return t;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  unsigned line_ = 1, col_ = 1;
  compile_error err_;
};

class parser {
 public:
  parser(std::string_view s, const limits& lim) : lex_(s), lim_(lim) { cur_ = lex_.next(); }

  bool run(parse_output& out, compile_error& err) {
    bool ok = commands(out.commands, 0) && expect_end();
    if (!ok) err = err_;
    return ok;
  }

 private:
  void shift() { cur_ = lex_.next(); }

  bool fail(pos at, std::string msg) {
    if (err_.message.empty()) err_ = {at, std::move(msg)};
    return false;
  }
  bool lex_failed() { return fail(lex_.error().at, lex_.error().message); }

  bool expect_end() {
    if (cur_.t == tok::end) return true;
    if (cur_.t == tok::error) return lex_failed();
    if (cur_.t == tok::rbrace) return fail(cur_.at, "unexpected '}' without a matching '{'");
    return fail(cur_.at, "expected a command");
  }

  bool commands(std::vector<node>& out, unsigned depth) {
    while (cur_.t == tok::identifier) {
      node n;
      if (!command(n, depth)) return false;
      out.push_back(std::move(n));
    }
    if (cur_.t == tok::error) return lex_failed();
    return true;
  }

  bool command(node& n, unsigned depth) {
    n.name = cur_.text;
    n.at = cur_.at;
    shift();
    if (!arguments(n, depth, true)) return false;
    if (cur_.t == tok::semicolon) {
      shift();
      return true;
    }
    if (cur_.t == tok::lbrace) {
      if (depth + 1 > lim_.max_nesting) return fail(cur_.at, "blocks are nested too deeply");
      n.has_block = true;
      shift();
      if (!commands(n.block, depth + 1)) return false;
      if (cur_.t != tok::rbrace) {
        if (cur_.t == tok::error) return lex_failed();
        return fail(cur_.at, cur_.t == tok::end ? "missing '}' at the end of the script"
                                                 : "expected a command or '}'");
      }
      shift();
      return true;
    }
    if (cur_.t == tok::error) return lex_failed();
    return fail(cur_.at, "expected ';' or '{' after the arguments of '" + n.name + "'");
  }

  bool arguments(node& n, unsigned depth, bool is_command) {
    (void)is_command;
    while (true) {
      if (cur_.t == tok::tag) {
        argument a;
        a.k = argument::kind::tag;
        a.at = cur_.at;
        a.tag = cur_.text;
        n.positional.push_back(std::move(a));  // validation sorts tags from positionals
        shift();
      } else if (cur_.t == tok::number) {
        argument a;
        a.k = argument::kind::number;
        a.at = cur_.at;
        a.number = cur_.number;
        n.positional.push_back(std::move(a));
        shift();
      } else if (cur_.t == tok::string || cur_.t == tok::multiline) {
        argument a;
        a.at = cur_.at;
        a.strings.push_back({std::move(cur_.text), false});
        n.positional.push_back(std::move(a));
        shift();
      } else if (cur_.t == tok::lbracket) {
        argument a;
        a.at = cur_.at;
        a.list = true;
        shift();
        while (true) {
          if (cur_.t != tok::string && cur_.t != tok::multiline) {
            if (cur_.t == tok::error) return lex_failed();
            return fail(cur_.at, "expected a string in the string list");
          }
          a.strings.push_back({std::move(cur_.text), false});
          shift();
          if (cur_.t == tok::comma) { shift(); continue; }
          if (cur_.t == tok::rbracket) { shift(); break; }
          if (cur_.t == tok::error) return lex_failed();
          return fail(cur_.at, "expected ',' or ']' in the string list");
        }
        n.positional.push_back(std::move(a));
      } else {
        break;
      }
    }
    if (cur_.t == tok::identifier) {
      node t;
      if (!test(t, depth + 1)) return false;
      n.tests.push_back(std::move(t));
    } else if (cur_.t == tok::lparen) {
      if (depth + 1 > lim_.max_nesting) return fail(cur_.at, "tests are nested too deeply");
      n.test_list = true;
      shift();
      while (true) {
        if (cur_.t != tok::identifier) {
          if (cur_.t == tok::error) return lex_failed();
          return fail(cur_.at, "expected a test");
        }
        node t;
        if (!test(t, depth + 1)) return false;
        n.tests.push_back(std::move(t));
        if (cur_.t == tok::comma) { shift(); continue; }
        if (cur_.t == tok::rparen) { shift(); break; }
        if (cur_.t == tok::error) return lex_failed();
        return fail(cur_.at, "expected ',' or ')' in the test list");
      }
    }
    return true;
  }

  bool test(node& t, unsigned depth) {
    if (depth > lim_.max_nesting) return fail(cur_.at, "tests are nested too deeply");
    t.name = cur_.text;
    t.at = cur_.at;
    shift();
    return arguments(t, depth, false);
  }

  lexer lex_;
  const limits& lim_;
  token cur_;
  compile_error err_;
};

}  // namespace

bool parse(std::string_view src, const limits& lim, parse_output& out, compile_error& err) {
  parser p(src, lim);
  return p.run(out, err);
}

}  // namespace hearth::mail::sieve::detail
