// Test helper (only included by *_test.cpp): runs an engine against scripted input with a
// simple policy, and collects the reply codes.
#pragma once
#include "mail/smtp/proto/session.hpp"

#include <string>
#include <vector>

namespace hearth::mail::smtp::testing {

struct driver {
  engine e;
  std::string out;
  std::vector<std::string> messages;
  std::vector<bool> spilled;  // per message: part of it came through take_spill()
  std::string spill;          // the current content's spilled octets
  int spill_pieces = 0;
  bool closed = false;
  bool tls_pending = false;
  int rcpt_events = 0;

  explicit driver(capabilities caps = {}) : e(std::move(caps)) { out += e.take_output(); }

  // Policy: recipient local part "unknown" → 550 5.1.1; sender "spoof" → 553 5.7.1;
  // AUTH response "good" succeeds, anything else fails; messages are stored.
  void pump() {
    for (int i = 0; i < 1000000; ++i) {
      const event ev = e.next();
      out += e.take_output();
      if (auto p = e.take_spill(); !p.bytes.empty()) {
        if (p.first) spill.clear();
        spill += p.bytes;
        ++spill_pieces;
      }
      switch (ev) {
        case event::need_input: return;
        case event::close: closed = true; return;
        case event::starttls: tls_pending = true; return;
        case event::mail_from:
          e.decide(e.current().mailbox.local == "spoof" ? make_reply(553, "5.7.1", "not yours")
                                                         : make_reply(250, "2.1.0", "Ok"));
          break;
        case event::rcpt_to:
          ++rcpt_events;
          e.decide(e.current().mailbox.local == "unknown" ? make_reply(550, "5.1.1", "no such user")
                                                           : make_reply(250, "2.1.5", "Ok"));
          break;
        case event::message:
          spilled.push_back(e.message_spilled());
          messages.push_back(e.message_spilled() ? spill + e.take_message() : e.take_message());
          e.decide(make_reply(250, "2.0.0", "Ok: queued"));
          break;
        case event::auth_start:
          if (e.current().initial_response) {
            finish_auth(*e.current().initial_response);
          } else {
            e.auth_challenge("");
          }
          break;
        case event::auth_response:
          finish_auth(e.auth_line());
          break;
      }
      out += e.take_output();
    }
  }
  void finish_auth(const std::string& s) {
    if (s == "good") e.auth_finish(make_reply(235, "2.7.0", "Authentication successful"), true);
    else e.auth_finish(make_reply(535, "5.7.8", "Authentication credentials invalid"), false);
  }
  void send(std::string_view in) {
    e.feed(in);
    pump();
  }
  void start_tls() {
    tls_pending = false;
    e.tls_started();
    pump();
  }
  // Final-line reply codes since the last call (multi-line replies count once).
  std::vector<int> codes() {
    std::vector<int> r;
    std::size_t pos = 0;
    while (pos < out.size()) {
      auto nl = out.find("\r\n", pos);
      if (nl == std::string::npos) break;
      const std::string line = out.substr(pos, nl - pos);
      if (line.size() >= 4 && line[3] == ' ') r.push_back(std::stoi(line.substr(0, 3)));
      else if (line.size() == 3) r.push_back(std::stoi(line));
      pos = nl + 2;
    }
    out.clear();
    return r;
  }
  std::string take() { return std::exchange(out, std::string()); }
};

}  // namespace hearth::mail::smtp::testing
