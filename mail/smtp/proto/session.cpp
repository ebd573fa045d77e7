// Input loop, state checks and the small commands. MAIL/RCPT/BDAT/AUTH: session_commands.cpp.
#include "mail/smtp/proto/session.hpp"

#include "core/util/strings.hpp"

#include <utility>

namespace hearth::mail::smtp {

engine::engine(capabilities caps) : caps_(std::move(caps)) {
  send(220, "", caps_.hostname + " ESMTP Hearth");
}

void engine::feed(std::string_view bytes) {
  if (mode_ == mode::closed) return;
  in_.append(bytes);
}

engine::spill_piece engine::take_spill() {
  content_sink* sink = data_ ? &data_->sink() : bdat_ ? &bdat_->sink() : nullptr;
  if (!sink || pending_ == pending::message) return {};
  const bool first = sink->spilled() == 0;
  spill_piece p{sink->take_spill(), first};
  if (p.bytes.empty()) p.first = false;
  return p;
}

std::string engine::take_output() { return std::exchange(out_, std::string()); }

void engine::send(const reply& r) { out_ += r.wire(); }

void engine::send(int code, std::string_view enhanced, std::string_view text) {
  send(make_reply(code, enhanced, text));
}

void engine::bad(int code, std::string_view enhanced, std::string_view text) {
  if (++errors_ >= caps_.max_errors) {
    send(421, "4.7.0", caps_.hostname + " Too many errors, closing connection");
    mode_ = mode::closed;
    return;
  }
  send(code, enhanced, text);
}

void engine::reset_transaction() {
  has_sender_ = false;
  bdat_used_ = false;
  envelope_.sender = {};
  envelope_.params = {};
  envelope_.recipients.clear();
  data_.reset();
  bdat_.reset();
}

bool engine::auth_offered() const {
  return !caps_.auth_mechanisms.empty() && (caps_.tls_active || !caps_.auth_requires_tls);
}

reply engine::ehlo_reply(std::string_view client) const {
  reply r;
  r.code = 250;
  r.lines.push_back(caps_.hostname + " Hello " + std::string(client));
  r.lines.push_back("PIPELINING");                                      // RFC 2920
  r.lines.push_back("SIZE " + std::to_string(caps_.max_message_size));  // RFC 1870
  r.lines.push_back("8BITMIME");                                        // RFC 6152
  r.lines.push_back("SMTPUTF8");                                        // RFC 6531
  r.lines.push_back("ENHANCEDSTATUSCODES");                             // RFC 2034
  r.lines.push_back("CHUNKING");                                        // RFC 3030
  r.lines.push_back("DSN");                                             // RFC 3461
  // RFC 8689 §4.1: offered only on a connection already protected by TLS.
  if (caps_.tls_active) r.lines.push_back("REQUIRETLS");
  // RFC 3207 §4.2: STARTTLS must not be offered again once TLS is up.
  if (caps_.starttls && !caps_.tls_active) r.lines.push_back("STARTTLS");
  if (auth_offered()) {
    std::string a = "AUTH";
    for (const auto& m : caps_.auth_mechanisms) a += " " + m;
    r.lines.push_back(a);
  }
  return r;
}

event engine::pending_event() const {
  switch (pending_) {
    case pending::mail: return event::mail_from;
    case pending::rcpt: return event::rcpt_to;
    case pending::message: return event::message;
    case pending::starttls: return event::starttls;
    case pending::auth_start: return event::auth_start;
    case pending::auth_response: return event::auth_response;
    case pending::none: break;
  }
  return event::need_input;
}

event engine::next() {
  // Bounded: every iteration consumes input or returns.
  for (;;) {
    if (mode_ == mode::closed) return event::close;
    if (pending_ != pending::none) return pending_event();
    if (in_pos_ > 0 && in_pos_ * 2 >= in_.size()) {
      in_.erase(0, in_pos_);
      in_pos_ = 0;
    }
    const std::string_view avail = std::string_view(in_).substr(in_pos_);
    if (mode_ == mode::data) {
      in_pos_ += data_->feed(avail);
      if (!data_->done()) return event::need_input;
      mode_ = mode::command;
      const event e = finish_content(data_->sink());
      if (e != event::need_input) return e;
      continue;
    }
    if (mode_ == mode::bdat) {
      std::size_t n = avail.size();
      if (chunk_left_ < n) n = static_cast<std::size_t>(chunk_left_);
      if (chunk_ok_) {
        n = bdat_->feed(avail.substr(0, n));
      }
      chunk_left_ -= n;
      in_pos_ += n;
      if (chunk_left_ > 0) return event::need_input;
      mode_ = mode::command;
      const event e = after_chunk();
      if (e != event::need_input) return e;
      continue;
    }
    const auto lf = avail.find('\n');
    const std::size_t limit = mode_ == mode::auth ? caps_.max_auth_line : caps_.max_command_line;
    if (lf == std::string_view::npos) {
      if (avail.size() > limit) {
        // Throw the partial line away now so a client cannot grow our buffer without bound.
        in_pos_ = in_.size();
        if (mode_ != mode::discard_line) {
          mode_ = mode::discard_line;
          bad(500, "5.5.2", "Line too long");
        }
      }
      return event::need_input;
    }
    std::string_view line = avail.substr(0, lf);
    in_pos_ += lf + 1;
    if (mode_ == mode::discard_line) {
      mode_ = mode::command;
      continue;
    }
    if (line.size() + 1 > limit) {
      bad(500, "5.5.2", "Line too long");
      continue;
    }
    // RFC 5321 §2.3.8: lines end with CRLF. A bare LF is tolerated for commands (as Postfix
    // does); only the DATA terminator is strict, where it matters for smuggling.
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const event e = dispatch(line);
    if (e != event::need_input) return e;
  }
}

event engine::dispatch(std::string_view line) {
  if (mode_ == mode::auth) return on_auth_line(line);
  auto parsed = parse_command(line);
  if (!parsed) {
    const std::string& code = parsed.error().code;  // "501 5.5.4"
    const int num = (code.size() >= 3) ? (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0') : 500;
    bad(num, code.size() > 4 ? std::string_view(code).substr(4) : "5.5.1", parsed.error().message);
    return event::need_input;
  }
  return on_command(*parsed);
}

// RFC 5321 §4.1.4 ordering, checked once here before the handlers.
event engine::on_command(const command& c) {
  switch (c.kind) {
    case verb::ehlo:
    case verb::helo:
      // §4.1.4: EHLO/HELO anywhere resets the transaction, like RSET.
      reset_transaction();
      greeted_ = true;
      esmtp_ = c.kind == verb::ehlo;
      envelope_.helo = c.domain;
      if (esmtp_) {
        send(ehlo_reply(c.domain));
      } else {
        send(250, "", caps_.hostname);
      }
      return event::need_input;
    case verb::rset:
      reset_transaction();
      send(250, "2.0.0", "Ok");
      return event::need_input;
    case verb::noop:
      send(250, "2.0.0", "Ok");
      return event::need_input;
    case verb::quit:
      send(221, "2.0.0", "Bye");
      mode_ = mode::closed;
      return event::close;
    case verb::vrfy:
      // RFC 5321 §3.5.3: 252 when we will not verify (address harvesting).
      send(252, "2.5.2", "Cannot VRFY user, but will accept message and attempt delivery");
      return event::need_input;
    case verb::help:
      send(214, "2.0.0", "See RFC 5321");
      return event::need_input;
    case verb::starttls:
      if (!caps_.starttls || caps_.tls_active) {
        bad(503, "5.5.1", caps_.tls_active ? "TLS already active" : "STARTTLS not available");
        return event::need_input;
      }
      if (in_transaction()) {
        bad(503, "5.5.1", "STARTTLS not allowed in a mail transaction");
        return event::need_input;
      }
      send(220, "2.0.0", "Ready to start TLS");
      // RFC 3207 §4: nothing the client pipelined behind STARTTLS may be acted on.
      in_.clear();
      in_pos_ = 0;
      pending_ = pending::starttls;
      return event::starttls;
    case verb::mail:
      return on_mail(c);
    case verb::rcpt:
      return on_rcpt(c);
    case verb::data:
      if (!in_transaction()) {
        bad(503, "5.5.1", "Need MAIL command");
      } else if (bdat_used_) {
        bad(503, "5.5.1", "DATA not allowed after BDAT");  // RFC 3030 §3
      } else if (envelope_.recipients.empty()) {
        bad(554, "5.5.1", "No valid recipients");
      } else {
        send(354, "", "End data with <CR><LF>.<CR><LF>");
        data_ = std::make_unique<data_reader>(caps_.max_message_size);
        data_->sink().set_spill_at(caps_.spill_at);
        mode_ = mode::data;
      }
      return event::need_input;
    case verb::bdat:
      return on_bdat(c);
    case verb::auth:
      return on_auth(c);
  }
  return event::need_input;
}

void engine::decide(reply r) {
  const bool ok = r.code >= 200 && r.code < 300;
  switch (pending_) {
    case pending::mail:
      if (ok) {
        has_sender_ = true;
        envelope_.sender = current_.mailbox;
        envelope_.params = current_.mail;
      }
      send(r);
      break;
    case pending::rcpt:
      if (ok) envelope_.recipients.push_back({current_.mailbox, current_.rcpt});
      if (r.code >= 500) {
        pending_ = pending::none;
        bad(r.code, r.enhanced, r.lines.empty() ? std::string() : r.lines[0]);
        return;
      }
      send(r);
      break;
    case pending::message:
      send(r);
      message_.clear();
      message_spilled_ = false;
      reset_transaction();
      break;
    default:
      return;
  }
  pending_ = pending::none;
}

void engine::tls_started() {
  if (pending_ != pending::starttls) return;
  pending_ = pending::none;
  caps_.tls_active = true;
  in_.clear();
  in_pos_ = 0;
  greeted_ = false;
  esmtp_ = false;
  authenticated_ = false;
  envelope_ = {};
  reset_transaction();
}

}  // namespace hearth::mail::smtp
