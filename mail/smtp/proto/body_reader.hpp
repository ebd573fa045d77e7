// Message content readers for DATA (RFC 5321 §4.1.1.4, §4.5.2) and BDAT (RFC 3030 §2).
// Pure and incremental: bytes may arrive in slices of any size, split anywhere (also inside
// the CRLF.CRLF terminator).
//
// Content policy, decided here once for both readers:
//  - Only CRLF ends a line. A bare LF or bare CR is recorded as a violation and the message
//    is refused at its end with 554 5.6.0 (RFC 5321 §4.1.1.4: "MUST NOT" be sent; §2.3.8). Like
//    Postfix ≥ 3.9 (smtpd_forbid_bare_newline) and Stalwart, we refuse rather than repair,
//    because a repaired "\n.\n" is exactly the SMTP smuggling vector (CVE-2023-51764/5/6):
//    the DATA terminator is only CRLF "." CRLF, and what we store is always CRLF-clean.
//  - NUL octets: refused the same way (554 5.6.0); we advertise neither BINARYMIME nor
//    anything that would allow them (RFC 3030 §3).
//  - Lines longer than 998 octets + CRLF (RFC 5322 §2.1.1, RFC 5321 §4.5.3.1.6): recorded,
//    refused at the end with 554 5.6.0, never cut.
//  - Size above the limit: storing stops, reading continues to the end, then 552 5.3.4.
//    The limit counts every octet kept, in memory or already handed out by take_spill().
// The stream is always read to its end so the session stays in sync with the client.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::mail::smtp {

inline constexpr std::size_t max_line_length = 998;  // octets, without CRLF

// What the content looked like; `violations()` picks the reply.
struct content_flags {
  bool bare_lf = false;
  bool bare_cr = false;
  bool nul = false;
  bool long_line = false;
  bool too_big = false;
};

// Accumulates message octets with the checks above. Used by both readers.
class content_sink {
 public:
  explicit content_sink(std::size_t max_size) : max_size_(max_size) {}
  // Lets take_spill() hand out the octets kept once they reach `spill_at` (0: never), so a
  // large message need not stay in memory.
  void set_spill_at(std::size_t spill_at) { spill_at_ = spill_at; }
  // The octets kept so far, once they reach the spill size; else empty. The caller owns them
  // (and appends them, in order, before data()). Content checks and the size limit go on
  // across the cut: it changes where the octets are, not what they are.
  std::string take_spill();
  // Octets handed out by take_spill() so far.
  std::uint64_t spilled() const { return spilled_; }
  // Adds one octet; returns true when it completed a CRLF.
  bool put(char c);
  // Adds octets that hold no CR and no LF, with the same checks as put() one by one.
  void put_plain(std::string_view s);
  // Call at the end of the content: a trailing lone CR is a bare CR.
  void finish();
  const std::string& data() const { return data_; }
  std::string take() { return std::move(data_); }
  const content_flags& flags() const { return flags_; }
  std::uint64_t octets() const { return octets_; }

 private:
  void store(char c);
  std::size_t kept() const { return static_cast<std::size_t>(spilled_) + data_.size(); }
  std::size_t max_size_;
  std::size_t spill_at_ = 0;
  std::uint64_t spilled_ = 0;
  std::string data_;
  content_flags flags_;
  std::uint64_t octets_ = 0;  // all octets seen, stored or not
  std::size_t line_ = 0;      // octets in the current line
  bool cr_ = false;           // the previous octet was a CR not yet followed by LF
};

// DATA content: dot-unstuffing and the CRLF.CRLF terminator.
class data_reader {
 public:
  explicit data_reader(std::size_t max_size) : sink_(max_size) {}
  // Consumes octets up to and including the terminator. Returns how many octets of `in`
  // were consumed; when done() the rest belongs to the next command (pipelining).
  std::size_t feed(std::string_view in);
  bool done() const { return state_ == state::done; }
  content_sink& sink() { return sink_; }

 private:
  // line_start: after CRLF (or at the start); dot: "." at line start; dot_cr: ".\r" at
  // line start; body: inside a line.
  enum class state { line_start, dot, dot_cr, body, done };
  state state_ = state::line_start;
  content_sink sink_;
};

// BDAT chunks (RFC 3030 §2): exactly `size` octets each, no dot-stuffing, no terminator.
class bdat_reader {
 public:
  explicit bdat_reader(std::size_t max_size) : sink_(max_size) {}
  // Starts a chunk of `size` octets (the previous one must be complete).
  void begin_chunk(std::uint64_t size) { remaining_ = size; }
  // Consumes up to the rest of the current chunk; returns octets consumed.
  std::size_t feed(std::string_view in);
  bool chunk_done() const { return remaining_ == 0; }
  content_sink& sink() { return sink_; }

 private:
  std::uint64_t remaining_ = 0;
  content_sink sink_;
};

}  // namespace hearth::mail::smtp
