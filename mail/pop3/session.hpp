// The POP3 session adapter: socket, timeouts, STLS, the SASL exchange; everything else is the
// engine (engine.hpp), run where its placement() says.
#pragma once
#include <chrono>
#include <memory>

#include "core/net/server.hpp"
#include "mail/pop3/engine.hpp"

namespace hearth::mail::pop3 {

struct session_options {
  std::chrono::seconds timeout{10 * 60};  // RFC 1939 §3: an autologout timer of at least 10 minutes
  std::chrono::seconds handshake_timeout{30};
  std::size_t max_line = 512;              // RFC 2449 §4: 255 octets per command, with slack
  unsigned max_errors = 20;
  // Load the maildrop at login on the I/O thread (SQLite in WAL mode: a read never waits for a
  // writer), falling back to the store pool when it must write. Off on PostgreSQL, where each
  // read is a network round trip that must not hold an I/O thread.
  bool inline_reads = false;
};

net::handler make_handler(std::shared_ptr<const engine_env> env, bool implicit_tls, session_options opts = {});

}  // namespace hearth::mail::pop3
