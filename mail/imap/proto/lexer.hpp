// Token-level reader over one framed command (internal to the parser; exposed for its tests).
// RFC 9051 §9 rule names are cited at each method. Every method throws syntax_error on bad
// input; parse_command() turns that into an error value, so nothing escapes the library.
#pragma once
#include "mail/imap/proto/types.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::mail::imap {

struct syntax_error {
  std::string code;     // "imap.syntax", "imap.mutf7", "imap.limit"
  std::string message;  // names what was wrong, for the tagged BAD
};

struct lexer_options {
  bool utf8_accept = false;              // RFC 9051 / RFC 6855: mailbox names are UTF-8 as is
  std::size_t max_sequence_ranges = 10000;
};

class lexer {
 public:
  // `s` is a framed command: its lines end in "\r\n", literals are inlined after "{n}\r\n".
  lexer(std::string_view s, lexer_options opts) : s_(s), opts_(opts) {}

  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool eat(char c);
  bool eat_word(std::string_view w);  // case-insensitive, must be followed by a non-atom char
  void expect(char c, const char* what);
  void sp() { expect(' ', "space"); }
  bool at_crlf() const;
  void end();  // CRLF and nothing after it
  [[noreturn]] void fail(std::string msg, std::string code = "imap.syntax") const;

  std::string tag();          // tag = 1*<any ASTRING-CHAR except "+">
  std::string atom();         // atom = 1*ATOM-CHAR
  std::string upper_atom();   // atom, upper-cased
  std::string upper_att_name();  // atom up to "[" or "<" (fetch-att names), upper-cased
  std::string quoted();       // quoted = DQUOTE *QUOTED-CHAR DQUOTE
  std::string literal(bool* binary = nullptr);  // literal / literal8 (if binary != nullptr)
  std::string string();       // string = quoted / literal
  std::string astring();      // astring = 1*ASTRING-CHAR / string
  std::optional<std::string> nstring();  // nstring = string / nil
  std::string mailbox();      // mailbox = "INBOX" / astring, decoded to UTF-8
  std::string list_mailbox(); // list-mailbox = 1*list-char / string, decoded to UTF-8
  std::string flag();         // flag = "\Answered" / ... / flag-keyword / flag-extension
  std::vector<std::string> flag_list();  // flag-list = "(" [flag *(SP flag)] ")"
  std::uint32_t nz_number();  // nz-number
  std::uint32_t number();     // number (32-bit)
  std::uint64_t number64();   // number64 (RFC 9051: up to 2^63-1)
  std::uint64_t mod_sequence_value();  // RFC 7162 mod-sequence-value (nz)
  sequence_set seq_set();     // sequence-set / "$" (RFC 5182)
  date read_date();           // date = date-text / DQUOTE date-text DQUOTE
  date_time read_date_time(); // date-time = DQUOTE date-day-fixed "-" date-month "-" ...

  std::size_t pos() const { return pos_; }
  std::string_view rest() const { return s_.substr(pos_); }  // unconsumed input, to look ahead
  const lexer_options& options() const { return opts_; }

 private:
  std::string decode_name(std::string raw);
  std::uint64_t digits(std::uint64_t max, const char* what);
  std::string_view s_;
  lexer_options opts_;
  std::size_t pos_ = 0;
};

bool is_atom_char(char c);     // ATOM-CHAR
bool is_astring_char(char c);  // ASTRING-CHAR = ATOM-CHAR / resp-specials

}  // namespace hearth::mail::imap
