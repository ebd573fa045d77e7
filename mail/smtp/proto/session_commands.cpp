// MAIL, RCPT, DATA/BDAT completion and AUTH for the engine (session.hpp).
#include "mail/smtp/proto/session.hpp"

#include <algorithm>

namespace hearth::mail::smtp {

event engine::on_mail(const command& c) {
  if (!greeted_) {
    bad(503, "5.5.1", "Send EHLO/HELO first");
  } else if (in_transaction()) {
    bad(503, "5.5.1", "Nested MAIL command");  // RFC 5321 §4.1.4
  } else if (caps_.auth_required && !caps_.tls_active && caps_.auth_requires_tls) {
    send(530, "5.7.0", "Must issue a STARTTLS command first");  // RFC 3207 §4
  } else if (caps_.auth_required && !authenticated_) {
    send(530, "5.7.0", "Authentication required");  // RFC 4954 §6
  } else if (!esmtp_ && (c.mail.size || c.mail.body != body_type::unspecified || c.mail.smtputf8 ||
                         !c.mail.ret.empty() || !c.mail.envid.empty() || !c.mail.auth.empty() || c.mail.requiretls)) {
    bad(555, "5.5.4", "Parameters need EHLO");  // RFC 5321 §4.1.1.11 / §3.2
  } else if (c.mail.requiretls && !caps_.tls_active) {
    send(530, "5.7.10", "REQUIRETLS needs a TLS connection");  // RFC 8689 §4.1 (not offered here)
  } else if (c.mail.body == body_type::binary_mime) {
    bad(504, "5.5.4", "BINARYMIME not supported");  // not advertised (RFC 3030 §3)
  } else if (c.mailbox.utf8 && !c.mail.smtputf8) {
    send(553, "5.6.7", "Non-ASCII address needs SMTPUTF8");  // RFC 6531 §3.4
  } else if (c.mail.size && *c.mail.size > caps_.max_message_size) {
    send(552, "5.3.4", "Message size exceeds fixed limit");  // RFC 1870 §6.2
  } else {
    current_ = c;
    pending_ = pending::mail;
    return event::mail_from;
  }
  return event::need_input;
}

event engine::on_rcpt(const command& c) {
  if (!in_transaction()) {
    bad(503, "5.5.1", "Need MAIL command");
  } else if (bdat_used_) {
    bad(503, "5.5.1", "RCPT not allowed after BDAT");
  } else if (!esmtp_ && (!c.rcpt.notify.empty() || !c.rcpt.orcpt.empty())) {
    bad(555, "5.5.4", "Parameters need EHLO");
  } else if (c.mailbox.utf8 && !envelope_.params.smtputf8) {
    send(553, "5.6.7", "Non-ASCII address needs SMTPUTF8");
  } else if (envelope_.recipients.size() >= caps_.max_recipients) {
    // RFC 5321 §4.5.3.1.10: 452 for too many recipients; the client retries the rest later.
    send(452, "4.5.3", "Too many recipients");
  } else {
    current_ = c;
    pending_ = pending::rcpt;
    return event::rcpt_to;
  }
  return event::need_input;
}

// RFC 3030 §2: the chunk is always read, even when the command is refused, so that the
// session stays in sync; the refusal is sent after it.
event engine::on_bdat(const command& c) {
  chunk_left_ = c.chunk_size;
  chunk_size_ = c.chunk_size;
  chunk_last_ = c.last;
  chunk_ok_ = false;
  if (!in_transaction()) {
    chunk_error_ = make_reply(503, "5.5.1", "Need MAIL command");
  } else if (data_) {
    chunk_error_ = make_reply(503, "5.5.1", "BDAT not allowed during DATA");
  } else if (envelope_.recipients.empty()) {
    chunk_error_ = make_reply(554, "5.5.1", "No valid recipients");
  } else {
    chunk_ok_ = true;
    if (!bdat_) {
      bdat_ = std::make_unique<bdat_reader>(caps_.max_message_size);
      bdat_->sink().set_spill_at(caps_.spill_at);
    }
    bdat_->begin_chunk(c.chunk_size);
    bdat_used_ = true;
  }
  mode_ = mode::bdat;
  return event::need_input;
}

event engine::after_chunk() {
  if (!chunk_ok_) {
    bad(chunk_error_.code, chunk_error_.enhanced, chunk_error_.lines[0]);
    return event::need_input;
  }
  if (chunk_last_) return finish_content(bdat_->sink());
  if (bdat_->sink().flags().too_big) {
    send(552, "5.3.4", "Message size exceeds fixed limit");
    reset_transaction();
    return event::need_input;
  }
  send(250, "2.0.0", std::to_string(chunk_size_) + " octets received");
  return event::need_input;
}

event engine::finish_content(content_sink& sink) {
  sink.finish();
  const content_flags& f = sink.flags();
  const char* refusal = nullptr;
  if (f.too_big) {
    send(552, "5.3.4", "Message size exceeds fixed limit");  // RFC 1870 §6.3
    reset_transaction();
    return event::need_input;
  }
  if (f.bare_lf) refusal = "Bare LF in message; lines must end with CRLF (RFC 5321 section 2.3.8)";
  else if (f.bare_cr) refusal = "Bare CR in message; lines must end with CRLF (RFC 5321 section 2.3.8)";
  else if (f.nul) refusal = "NUL octet in message";
  else if (f.long_line) refusal = "Line longer than 998 octets (RFC 5322 section 2.1.1)";
  if (refusal) {
    send(554, "5.6.0", refusal);
    reset_transaction();
    return event::need_input;
  }
  message_spilled_ = sink.spilled() > 0;
  message_ = sink.take();
  pending_ = pending::message;
  return event::message;
}

event engine::on_auth(const command& c) {
  if (!greeted_ || !esmtp_) {
    bad(503, "5.5.1", "Send EHLO first");
  } else if (caps_.auth_mechanisms.empty()) {
    bad(503, "5.5.1", "Authentication not enabled");
  } else if (!auth_offered()) {
    send(538, "5.7.11", "Encryption required for requested authentication mechanism");  // RFC 4954 §6
  } else if (authenticated_) {
    bad(503, "5.5.1", "Already authenticated");  // RFC 4954 §4
  } else if (in_transaction()) {
    bad(503, "5.5.1", "AUTH not allowed in a mail transaction");  // RFC 4954 §4
  } else if (std::find(caps_.auth_mechanisms.begin(), caps_.auth_mechanisms.end(), c.mechanism) ==
             caps_.auth_mechanisms.end()) {
    bad(504, "5.5.4", "Unrecognized authentication type");
  } else {
    current_ = c;
    mode_ = mode::auth;
    pending_ = pending::auth_start;
    return event::auth_start;
  }
  return event::need_input;
}

event engine::on_auth_line(std::string_view line) {
  if (line == "*") {  // RFC 4954 §4: the client cancels the exchange
    mode_ = mode::command;
    bad(501, "5.0.0", "Authentication canceled");
    return event::need_input;
  }
  auth_line_ = std::string(line);
  pending_ = pending::auth_response;
  return event::auth_response;
}

void engine::auth_challenge(std::string_view base64) {
  if (pending_ != pending::auth_start && pending_ != pending::auth_response) return;
  pending_ = pending::none;
  send(334, "", base64);
}

void engine::auth_finish(reply r, bool success) {
  if (pending_ != pending::auth_start && pending_ != pending::auth_response) return;
  pending_ = pending::none;
  mode_ = mode::command;
  auth_line_.clear();
  authenticated_ = success;
  if (success || r.code < 500) {
    send(r);
  } else {
    // Failed logins count towards the error limit: bounded guessing per connection.
    bad(r.code, r.enhanced, r.lines.empty() ? std::string() : r.lines[0]);
  }
}

}  // namespace hearth::mail::smtp
