// The ManageSieve (RFC 5804) command grammar, sans I/O: the session hands in lines and literal
// octets as it reads them; the reader says what it needs next and yields whole commands.
//
//   command    = command-name *(SP argument) CRLF           (RFC 5804 §4)
//   argument   = string / number
//   string     = quoted / literal-c2s
//   quoted     = DQUOTE *1024QUOTED-CHAR DQUOTE              ("\" escapes only "\" and DQUOTE)
//   literal-c2s= "{" number [ "+" ] "}" CRLF *OCTET         (both forms accepted; no
//                                                           continuation is ever sent for them)
//   number     = 1*DIGIT                                    (0 .. 4294967295)
//
//   command_reader r(limits);
//   auto w = r.feed_line(line);          // line without its CRLF
//   while (w == want::literal) { bytes = read_exact(r.literal_size()); w = r.feed_literal(bytes);
//                                if (w == want::line) w = r.feed_line(next line); }
//   if (w == want::command) use(r.take()); else if (w == want::error) answer NO r.error();
//
// A syntax error does not lose the stream's framing: the reader keeps swallowing the literals the
// bad command announced and reports want::error once the command's last line is in. A literal
// larger than limits.max_literal, or a command past limits.max_command octets, is want::fatal: the
// session answers BYE and closes, since it cannot skip that many octets cheaply.
//
// The same reader parses SASL client responses (RFC 5804 §2.1: one string per line) after
// expect_response().
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hearth::mail::managesieve {

struct reader_limits {
  std::size_t max_literal = 1 << 20;     // one literal
  std::size_t max_command = 2 << 20;     // one command, all lines and literals
  std::size_t max_arguments = 16;
  std::size_t max_quoted = 1024;         // RFC 5804 §4: *1024QUOTED-CHAR
};

struct argument {
  enum class kind { string, number } type = kind::string;
  std::string text;          // the string, or the number's digits
  std::uint64_t number = 0;  // when type == number
  bool literal = false;      // the string came as a literal
};

struct command {
  std::string name;  // upper-cased; empty for a SASL response
  std::vector<argument> args;
};

enum class want { line, literal, command, error, fatal };

class command_reader {
 public:
  explicit command_reader(reader_limits l = {}) : limits_(l) {}

  // The next line, without CRLF.
  want feed_line(std::string_view line);
  // Exactly literal_size() octets.
  want feed_literal(std::string_view bytes);
  std::size_t literal_size() const { return literal_; }

  // After want::command: the command; the reader is ready for the next one.
  command take();
  // After want::error or want::fatal: what was wrong (for NO/BYE); the reader is ready again.
  std::string take_error();

  // The next command is a SASL response: a single string, no command name.
  void expect_response() { response_mode_ = true; }

 private:
  want fail(std::string message);
  want finish_line();
  void reset();

  reader_limits limits_;
  command cmd_;
  bool started_ = false;       // the command name was read
  bool response_mode_ = false;
  std::size_t literal_ = 0;
  bool literal_pending_ = false;
  std::size_t total_ = 0;
  std::optional<std::string> error_;  // set while swallowing the rest of a bad command
};

// The string as a ManageSieve response argument: a quoted string when it is short and has no
// CR, LF or NUL, else a literal "{N}\r\n" + bytes (RFC 5804 §4: literal-s2c).
std::string quote(std::string_view s);

}  // namespace hearth::mail::managesieve
