// Client side of SMTP (RFC 5321 §4.2): assembling a (multi-line) reply from the lines a remote
// server sends, EHLO capabilities, and the DATA encoding. Pure: no I/O, unit-tested and fuzzed.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::queue {

inline constexpr std::size_t max_reply_line = 2048;  // RFC 5321 §4.5.3.1.5 says 512; be lenient
inline constexpr std::size_t max_reply_lines = 200;

struct smtp_reply {
  int code = 0;                    // 100..599
  std::string enhanced;            // "5.1.1" when the text starts with one (RFC 3463), else ""
  std::vector<std::string> lines;  // the text of each line, code (and enhanced code) removed

  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500; }
  // "550 5.1.1 no such user" (lines joined with a space), for logs and DSN Diagnostic-Code.
  std::string summary() const;
  // The enhanced code, or one derived from the reply class ("4.0.0" / "5.0.0" / "2.0.0").
  std::string status() const;
};

// Feeds a reply line by line: RFC 5321 §4.2.1, "NNN-text" continues, "NNN text" or "NNN" ends.
// Every line of one reply must carry the same code.
class reply_parser {
 public:
  enum class state { more, done, error };
  // One line without its CRLF. After `done` call take(); after `error` the reply is garbage
  // (the connection should be dropped) and error() says why.
  state feed(std::string_view line);
  smtp_reply take();
  const std::string& error() const { return error_; }

 private:
  smtp_reply cur_;
  std::string error_;
};

// The extensions of an EHLO reply (RFC 5321 §4.1.1.1: one keyword per line after the first).
struct ehlo_caps {
  bool starttls = false;      // RFC 3207
  bool pipelining = false;    // RFC 2920
  bool eightbitmime = false;  // RFC 6152
  bool smtputf8 = false;      // RFC 6531
  bool dsn = false;           // RFC 3461
  bool chunking = false;      // RFC 3030
  bool enhanced = false;      // RFC 2034
  bool size = false;          // RFC 1870
  bool requiretls = false;    // RFC 8689
  std::uint64_t max_size = 0; // SIZE n; 0 = no limit given
  std::vector<std::string> auth;  // RFC 4954 AUTH mechanisms, upper case
};
ehlo_caps parse_ehlo(const smtp_reply& r);

// DATA encoding (RFC 5321 §4.5.2): lines normalised to CRLF (a bare LF or CR becomes CRLF), a
// leading '.' doubled, a final CRLF added when missing, then the ".\r\n" terminator.
std::string dot_stuff(std::string_view message);

// For BDAT and SIZE: the message with every line ending as CRLF (and a final CRLF).
std::string crlf_normalise(std::string_view message);

// crlf_normalise() (stuff = false) or dot_stuff() (stuff = true) of a message read in pieces:
// feed() the pieces in order and append what each returns, then finish(). The result is the
// same wherever the pieces are cut (a CR at the end of one piece and its LF at the start of the
// next, or a line's leading '.' at the start of a piece). `size()` counts what came out so far
// and `eight_bit()` tells whether any octet fed was >= 0x80.
class wire_encoder {
 public:
  explicit wire_encoder(bool stuff) : stuff_(stuff) {}
  void feed(std::string_view piece, std::string& out);
  void finish(std::string& out);
  std::uint64_t size() const { return size_; }
  bool eight_bit() const { return eight_bit_; }

 private:
  bool stuff_;
  bool after_cr_ = false;  // the last octet fed was a CR: an LF next is part of its line end
  bool bol_ = true;        // at the start of a line of the output
  bool any_ = false;       // anything fed at all
  bool eight_bit_ = false;
  std::uint64_t size_ = 0;
};

// True if the message has octets >= 0x80 (needs BODY=8BITMIME).
bool has_8bit(std::string_view message);

// RFC 3461 §4: xtext decoding ("+2B" -> '+'); invalid escapes are kept as they are.
std::string xtext_decode(std::string_view s);

}  // namespace hearth::mail::queue
