// The SMTP server engine (RFC 5321), sans I/O: the listener feeds received bytes, pulls
// events, writes what take_output() returns, and answers policy questions. Modelled on
// Dovecot's lib-smtp server, but with *pending decisions* instead of callbacks: a policy
// question (may this sender send? is this recipient ours? was the message stored?) is
// returned as an event, and the engine waits until the session answers it with decide().
// This lets the session co_await directory look-ups, DNS and the store between events with
// no re-entrancy, and keeps this engine free of I/O, logging and storage.
//
// Loop in the session (one engine per connection, not thread-safe, use from one strand):
//
//   engine e(caps);  write(e.take_output());               // 220 greeting
//   for (;;) {
//     event ev = e.next();
//     write(e.take_output());                              // replies so far (pipelined)
//     switch (ev) {
//       case need_input:  e.feed(read_some()); break;      // EOF: drop the connection
//       case mail_from:   e.decide(policy(e.current())); break;
//       case rcpt_to:     e.decide(policy(e.current())); break;
//       case message:     store(e.envelope(), e.take_message()); e.decide(250 or error); break;
//       case starttls:    handshake(); e.tls_started(); break;   // 220 already written
//       case auth_start:  SASL with e.current().mechanism / initial_response, then
//       case auth_response: e.auth_challenge(b64) or e.auth_finish(reply, ok) (line: e.auth_line())
//       case close:       close the connection; return;
//     }
//   }
//
// feed() may be called at any time; next() never blocks and never throws on bad input.
#pragma once
#include "mail/smtp/proto/body_reader.hpp"
#include "mail/smtp/proto/command.hpp"
#include "mail/smtp/proto/reply.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::smtp {

// What this listener offers and its limits (from the config and the listener kind).
struct capabilities {
  std::string hostname = "localhost";
  std::uint64_t max_message_size = 50ull * 1024 * 1024;  // announced in SIZE (RFC 1870)
  std::size_t max_recipients = 100;   // beyond: 452 4.5.3 (RFC 5321 §4.5.3.1.10)
  int max_errors = 10;                // bad commands before 421 and close
  std::size_t max_command_line = 4096;  // octets incl. CRLF; RFC 5321 §4.5.3.1.4 says 512
                                        // plus what extensions add (RFC 3461 adds ~1000)
  std::size_t max_auth_line = 16384;  // SASL responses (RFC 4954 §4: 12288 suggested)
  bool starttls = false;       // the listener can start TLS (port 25, 587)
  bool tls_active = false;     // implicit TLS (465); set by tls_started() after STARTTLS
  std::vector<std::string> auth_mechanisms;  // upper-case; empty: no AUTH (port 25)
  bool auth_requires_tls = true;  // AUTH offered only under TLS (RFC 3207 §4 / RFC 4954 §4)
  bool auth_required = false;     // submission: MAIL needs AUTH first (530 5.7.0)
  // Content octets held in memory before take_spill() hands them out; 0: the whole message
  // stays in memory until take_message().
  std::size_t spill_at = 0;
};

enum class event {
  need_input,     // feed() more bytes
  mail_from,      // decide(): current() is the MAIL command, already checked for syntax,
                  // sequence, SIZE and SMTPUTF8
  rcpt_to,        // decide(): current() is the RCPT command, within the recipient limit
  message,        // decide(): take_message() and envelope() hold the content, CRLF-clean
  starttls,       // 220 queued: flush it, handshake, then tls_started() (or close)
  auth_start,     // SASL begins: current().mechanism, current().initial_response
  auth_response,  // a client SASL line: auth_line() (base64; "*" is handled here)
  close,          // flush take_output() and close
};

struct recipient {
  path address;
  rcpt_params params;
};

// The transaction as accepted so far.
struct envelope {
  std::string helo;  // EHLO/HELO argument
  path sender;       // reverse-path
  mail_params params;
  std::vector<recipient> recipients;  // the accepted ones only
};

class engine {
 public:
  // Queues the 220 greeting.
  explicit engine(capabilities caps);

  // Appends received octets. Pipelined input is kept until next() reaches it.
  void feed(std::string_view bytes);
  // Advances until something needs the session (see `event`). While a decision is pending
  // it returns that event again without reading further input.
  event next();
  // Replies queued so far, in order; empties the queue.
  std::string take_output();

  // Answers the pending mail_from / rcpt_to / message decision with `r`. A 2xx accepts
  // (sender recorded / recipient added); anything else refuses. After `message` the
  // transaction ends either way. A 5xx for a recipient counts as an error (as Postfix's
  // smtpd_hard_error_limit does) so a recipient-guessing client is dropped.
  // Calling it with no decision pending does nothing.
  void decide(reply r);

  // After the starttls event: TLS is up; RFC 3207 §4.2 — forget everything the client
  // said before (EHLO, AUTH) and any plaintext buffered behind STARTTLS (CVE-2011-0411).
  void tls_started();

  // During AUTH: send "334 challenge" and wait for the next client line.
  void auth_challenge(std::string_view base64);
  // Ends AUTH with `r` (235 2.7.0 on success, 535 5.7.8 on failure, RFC 4954 §6).
  void auth_finish(reply r, bool success);

  const command& current() const { return current_; }
  const envelope& transaction() const { return envelope_; }
  // The message content of the `message` event (moved out). When message_spilled(), only
  // the octets after the last take_spill() piece.
  std::string take_message() { return std::move(message_); }
  // While content is read with capabilities::spill_at set: octets to write out now, in
  // order (empty: keep reading). `first`: the first piece of this content, so whatever an
  // earlier unfinished content spilled is no part of it. Call it after each next().
  struct spill_piece {
    std::string bytes;
    bool first = false;
  };
  spill_piece take_spill();
  // At the `message` event: part of the content went out through take_spill().
  bool message_spilled() const { return message_spilled_; }
  const std::string& auth_line() const { return auth_line_; }
  bool authenticated() const { return authenticated_; }
  bool tls_active() const { return caps_.tls_active; }
  bool closed() const { return mode_ == mode::closed; }
  // True while message content (DATA or a BDAT chunk) is being read: the session then uses
  // the longer DATA timeout (RFC 5321 §4.5.3.2.6: 3 min per block, 10 min for the terminator).
  bool receiving_content() const { return mode_ == mode::data || mode_ == mode::bdat; }
  // Replaces the AUTH mechanisms offered (after STARTTLS a channel binding makes -PLUS
  // possible). Upper-case names.
  void set_auth_mechanisms(std::vector<std::string> mechanisms) { caps_.auth_mechanisms = std::move(mechanisms); }

  // The EHLO reply lines for the current TLS/AUTH state (exposed for tests and HELP).
  reply ehlo_reply(std::string_view client) const;

 private:
  enum class mode { command, data, bdat, auth, discard_line, closed };
  enum class pending { none, mail, rcpt, message, starttls, auth_start, auth_response };

  // Returns an event to hand out, or need_input to keep going.
  event dispatch(std::string_view line);
  event on_command(const command& c);
  event on_mail(const command& c);
  event on_rcpt(const command& c);
  event on_bdat(const command& c);
  event on_auth(const command& c);
  event on_auth_line(std::string_view line);
  event finish_content(content_sink& sink);
  event after_chunk();
  event pending_event() const;
  bool auth_offered() const;
  void send(const reply& r);
  void send(int code, std::string_view enhanced, std::string_view text);
  // A client error (RFC 5321 §4.2.4 class 5xx syntax/sequence): counted; at the limit the
  // connection gets 421 4.7.0 instead and is closed.
  void bad(int code, std::string_view enhanced, std::string_view text);
  void reset_transaction();
  bool in_transaction() const { return has_sender_; }

  capabilities caps_;
  std::string in_;
  std::size_t in_pos_ = 0;
  std::string out_;
  mode mode_ = mode::command;
  pending pending_ = pending::none;
  int errors_ = 0;

  bool esmtp_ = false;
  bool greeted_ = false;
  bool authenticated_ = false;
  bool has_sender_ = false;
  bool bdat_used_ = false;  // a BDAT chunk was accepted in this transaction
  command current_;
  envelope envelope_;
  std::string message_;
  bool message_spilled_ = false;
  std::string auth_line_;

  std::unique_ptr<data_reader> data_;
  std::unique_ptr<bdat_reader> bdat_;
  std::uint64_t chunk_left_ = 0;  // BDAT octets still to read
  std::uint64_t chunk_size_ = 0;  // size of the current BDAT chunk
  bool chunk_ok_ = false;         // false: the chunk is read and thrown away
  bool chunk_last_ = false;
  reply chunk_error_;
};

}  // namespace hearth::mail::smtp
