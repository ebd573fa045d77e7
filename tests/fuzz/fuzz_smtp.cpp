// libFuzzer target: arbitrary bytes through the whole SMTP engine (mail/smtp/proto):
// command parser, state machine, DATA and BDAT readers, AUTH exchange, STARTTLS reset.
//
// Input layout: byte 0 picks the listener (STARTTLS, implicit TLS, AUTH required, tiny
// limits); byte 1 the slice size used to feed the rest, so chunk boundaries land anywhere.
// Also checks invariants: the recipient list never exceeds its limit, stored messages never
// exceed the size limit and never contain a bare LF.
// Links hearth_mail_smtp_proto (and hearth_util, header-only).
// Build: clang++ -std=c++20 -fsanitize=fuzzer,address -I. tests/fuzz/fuzz_smtp.cpp
//        mail/smtp/proto/{command,body_reader,reply,session,session_commands}.cpp
#include "mail/smtp/proto/body_reader.hpp"
#include "mail/smtp/proto/command.hpp"
#include "mail/smtp/proto/session.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace hearth::mail::smtp;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// The spilled part of the current content (capabilities::spill_at), as a session keeps it.
std::string spilled;

void drive(engine& e, const capabilities& caps) {
  for (int i = 0; i < 100000; ++i) {
    const event ev = e.next();
    (void)e.take_output();
    if (auto p = e.take_spill(); !p.bytes.empty()) {
      check(caps.spill_at > 0 && p.bytes.size() >= caps.spill_at);
      if (p.first) spilled.clear();
      spilled += p.bytes;
    }
    switch (ev) {
      case event::need_input:
      case event::close:
        return;
      case event::starttls:
        e.tls_started();
        break;
      case event::mail_from:
        e.decide(make_reply(e.current().mailbox.local.size() % 3 == 0 ? 553 : 250, "2.1.0", "x"));
        break;
      case event::rcpt_to:
        check(e.transaction().recipients.size() < caps.max_recipients);
        e.decide(make_reply(e.current().mailbox.local.size() % 4 == 0 ? 550 : 250, "2.1.5", "x"));
        break;
      case event::message: {
        const std::string m = e.message_spilled() ? spilled + e.take_message() : e.take_message();
        check(m.size() <= caps.max_message_size);
        for (std::size_t k = 0; k < m.size(); ++k) check(m[k] != '\n' || (k > 0 && m[k - 1] == '\r'));
        e.decide(make_reply(250, "2.0.0", "queued"));
        break;
      }
      case event::auth_start:
        if (e.current().initial_response) e.auth_finish(make_reply(235, "2.7.0", "ok"), true);
        else e.auth_challenge("");
        break;
      case event::auth_response:
        e.auth_finish(make_reply(535, "5.7.8", "no"), e.auth_line().size() == 4);
        break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);

  // The parser alone, on every line.
  std::size_t start = 0;
  for (int n = 0; n < 4096 && start < in.size(); ++n) {
    std::size_t lf = in.find('\n', start);
    if (lf == std::string_view::npos) lf = in.size();
    (void)parse_command(in.substr(start, lf - start));
    start = lf + 1;
  }

  const std::uint8_t mode = data[0];
  capabilities caps;
  caps.hostname = "mx.example.test";
  caps.starttls = mode & 1;
  caps.tls_active = mode & 2;
  caps.auth_required = mode & 4;
  if (mode & 8) caps.auth_mechanisms = {"PLAIN", "LOGIN"};
  caps.max_message_size = (mode & 16) ? 64 : 4096;
  caps.max_recipients = (mode & 32) ? 2 : 100;
  caps.max_errors = (mode & 64) ? 3 : 1000;
  caps.max_command_line = (mode & 128) ? 64 : 4096;
  const std::size_t slice = std::size_t{data[1]} + 1;
  // Odd slice sizes also cut the content into spilled pieces (a few octets each).
  caps.spill_at = (slice & 1) ? slice / 2 + 1 : 0;
  spilled.clear();

  engine e(caps);
  (void)e.take_output();
  for (std::size_t pos = 0; pos < in.size() && !e.closed(); pos += slice) {
    e.feed(in.substr(pos, slice));
    drive(e, caps);
    check(e.transaction().recipients.size() <= caps.max_recipients);
  }
  return 0;
}
