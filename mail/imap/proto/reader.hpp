// Incremental IMAP command framing (sans I/O): the session feeds bytes as they arrive and
// pulls events: a complete command, "send a continuation" for a synchronizing literal, an
// error to answer with a tagged BAD/NO, or a raw line (IDLE's DONE, SASL responses).
//
// Literals (RFC 9051 §4.3, RFC 7888 LITERAL+/LITERAL-): "{n}" is synchronizing: the reader
// emits send_continuation, the session writes "+ Ready", the client sends the bytes. "{n+}" is
// not: the bytes follow at once. A literal over its limit is rejected before any of it is
// buffered: for "{n}" the client never gets the "+" and the command ends there; for "{n+}"
// the n bytes (and the rest of that command) are skipped as they arrive.
//
// Large APPEND messages (set_stream_min): a literal of at least that size in an APPEND
// command is not framed. The reader emits literal_start, then the bytes as literal_data
// pieces (no bigger than what one feed() brought), and puts streamed_literal(k) in the frame
// in its place (k counting the command's streamed literals from 0), so the parsed command
// carries that token where the message would be. The session writes the pieces to the blob
// store as they arrive and swaps the tokens for what it stored. An APPEND with CATENATE is
// framed whole (its TEXT parts are joined with other messages' bytes, cmd_append.cpp).
//
// Not thread-safe; one reader per connection.
#pragma once
#include "core/util/result.hpp"
#include "mail/imap/proto/parser.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::mail::imap {

struct reader_limits {
  std::size_t max_line = 64 * 1024;          // one line outside literals (RFC 7162 §4: >= 8192)
  std::size_t max_literal = 64 << 20;        // a literal in APPEND (the APPENDLIMIT)
  std::size_t max_other_literal = 64 * 1024; // a literal in any other command
  std::size_t max_command = (64 << 20) + (1 << 20);  // one whole command, literals included
};

enum class event_kind {
  need_more,          // feed more bytes
  send_continuation,  // write "+ Ready\r\n", then feed the literal
  literal_start,      // a streamed literal of `literal_size` octets begins; when `sync`,
                      // write "+ Ready\r\n" too
  literal_data,       // the next piece of the streamed literal: `data`
  command,            // `cmd` is a complete, parsed command
  error,              // answer `tag` (or "*" if empty) with BAD; err.code says why
  line,               // after expect_line(): `line` without its CRLF
};

struct event {
  event_kind kind = event_kind::need_more;
  std::string tag;    // command and error
  command cmd;        // command
  hearth::error err;  // error: imap.syntax, imap.unknown_command, imap.mutf7, imap.limit,
                      // imap.literal_too_big (reply NO [TOOBIG] for APPEND), imap.line_too_long
  std::string line;   // line
  std::string data;   // literal_data
  std::uint64_t literal_size = 0;  // literal_start
  bool sync = false;               // literal_start
};

// What the frame holds in place of the k-th streamed literal of a command. Control octets
// that no real message starts with; a client sending these bytes itself gets its own
// command's streamed content in their place, nothing of anyone else's.
std::string streamed_literal(std::size_t k);

class command_reader {
 public:
  explicit command_reader(reader_limits limits = {}, parse_options opts = {})
      : limits_(limits), opts_(opts) {}

  // Appends bytes received from the client; nothing is parsed until next().
  void feed(std::string_view bytes) { in_.append(bytes); }

  // Returns the next event. Call until it returns need_more. Never throws on bad input.
  event next();

  // The next complete line is returned raw as event_kind::line instead of being parsed (for
  // IDLE's "DONE" and AUTHENTICATE responses, RFC 9051 §6.3.13 / §6.2.2).
  void expect_line() { raw_line_ = true; }

  // Parser options, e.g. utf8_accept after ENABLE UTF8=ACCEPT.
  parse_options& options() { return opts_; }

  // APPEND literals of `min` octets or more are streamed (see the top); 0: none. The session
  // sets it once the client is authenticated, so that no one streams to disk before login.
  void set_stream_min(std::uint64_t min) { stream_min_ = min; }

  // Bytes held (unparsed input plus the partial command).
  std::size_t buffered() const { return in_.size() - in_pos_ + frame_.size(); }

 private:
  enum class state { line, literal, stream_literal, skip_literal, discard_line };
  std::optional<event> finish_line();
  event reject(std::string code, std::string message);
  std::string frame_tag() const;
  bool is_append() const;

  reader_limits limits_;
  parse_options opts_;
  std::string in_;          // received, not yet consumed
  std::size_t in_pos_ = 0;
  std::string frame_;       // the command so far, lines normalized to end in CRLF
  std::size_t line_start_ = 0;  // where the current line starts in frame_
  std::string tail_;        // last bytes of a discarded line (to spot a literal marker)
  state state_ = state::line;
  std::uint64_t remaining_ = 0;  // literal bytes still to copy or skip
  bool raw_line_ = false;
  std::uint64_t stream_min_ = 0;
  std::size_t streamed_ = 0;  // literals streamed in the current command
};

}  // namespace hearth::mail::imap
