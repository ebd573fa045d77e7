// Sieve cost: compiling a 50-rule script, and running it on one message (the per-message
// filtering time at delivery; goal under 50 µs). Prints figures, asserts nothing.
#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "mail/sieve/run.hpp"

using namespace hearth::mail::sieve;

// CPU time of this process: the figure that matters on a shared or loaded machine, where wall
// time also counts the time other programs hold the core.
struct cpu_clock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<cpu_clock>;
  static constexpr bool is_steady = true;
  static time_point now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return time_point(duration(std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec));
  }
};
using clock_type = cpu_clock;

namespace {
// The kind of script Roundcube writes: many rules on headers and addresses, most not matching.
std::string fifty_rules() {
  std::string s = "require [\"fileinto\", \"imap4flags\", \"variables\", \"relational\", \"comparator-i;ascii-numeric\","
                  " \"regex\", \"body\", \"envelope\", \"subaddress\", \"copy\", \"mailbox\", \"date\"];\n";
  for (int i = 0; i < 50; ++i) {
    std::string n = std::to_string(i);
    switch (i % 10) {
      case 0: s += "if header :contains \"subject\" \"project-" + n + "\" { fileinto \"Projects/" + n + "\"; stop; }\n"; break;
      case 1: s += "if address :domain :is \"from\" \"vendor" + n + ".example\" { fileinto :create \"Vendors\"; }\n"; break;
      case 2: s += "if header :matches \"list-id\" \"*<list" + n + ".*>\" { fileinto \"Lists/${1}\"; stop; }\n"; break;
      case 3: s += "if anyof (header :is \"x-mailer\" \"bulk" + n + "\", address :localpart \"to\" \"noreply" + n + "\") { addflag \"$Bulk\"; }\n"; break;
      case 4: s += "if header :value \"ge\" :comparator \"i;ascii-numeric\" \"x-spam-score\" \"" + std::to_string(20 + i) + "\" { fileinto \"Junk\"; stop; }\n"; break;
      case 5: s += "if address :detail \"to\" \"tag" + n + "\" { fileinto :copy \"Tagged\"; }\n"; break;
      case 6: s += "if header :regex \"subject\" \"^\\\\[ticket-" + n + "\\\\] #[0-9]+\" { fileinto \"Tickets\"; }\n"; break;
      case 7: s += "if envelope :is \"from\" \"robot" + n + "@example.net\" { discard; stop; }\n"; break;
      case 8: s += "if allof (exists \"x-priority\", header :is \"x-priority\" \"" + n + "\") { addflag \"\\\\Flagged\"; }\n"; break;
      case 9: s += "if size :over " + std::to_string(1000 + i) + "K { fileinto \"Large\"; }\n"; break;
    }
  }
  return s;
}

const char* message =
    "Return-Path: <alice@example.org>\r\n"
    "Received: from mx.example.org by home.test; Sun, 06 Dec 2026 14:30:00 +0100\r\n"
    "From: Alice <alice@example.org>\r\n"
    "To: Bob <bob@home.test>\r\n"
    "Subject: Lunch on Friday?\r\n"
    "Date: Sun, 06 Dec 2026 14:30:00 +0100\r\n"
    "Message-ID: <m1@example.org>\r\n"
    "X-Spam-Score: 3\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hello Bob, shall we have lunch on Friday?\r\n";
}  // namespace

int main() {
  std::string src = fifty_rules();
  const int compiles = 2000;
  auto t0 = clock_type::now();
  std::shared_ptr<const program> prog;
  for (int i = 0; i < compiles; ++i) {
    auto r = compile(src);
    if (!r) {
      std::printf("compile failed: %u:%u: %s\n", r.error().line, r.error().column, r.error().message.c_str());
      return 1;
    }
    prog = *r;
  }
  double compile_us = std::chrono::duration<double, std::micro>(clock_type::now() - t0).count() / compiles;

  environment env;
  env.envelope_from = "alice@example.org";
  env.envelope_to = "bob@home.test";
  env.user_addresses = {"bob@home.test"};
  const int runs = 20000;
  std::size_t actions = 0;
  t0 = clock_type::now();
  for (int i = 0; i < runs; ++i) actions += run(*prog, message, env).actions.size();
  double run_us = std::chrono::duration<double, std::micro>(clock_type::now() - t0).count() / runs;

  std::printf("sieve: 50-rule script, %zu bytes\n", src.size());
  std::printf("  compile:           %8.1f us CPU per script (%d compiles)\n", compile_us, compiles);
  std::printf("  run:               %8.2f us CPU per message (%d runs, %zu actions; goal < 50 us)\n", run_us, runs,
              actions / runs);
  std::printf("  messages/s/core:   %8.0f\n", 1e6 / run_us);
  return 0;
}
