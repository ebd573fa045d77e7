// The IMAP session adapter (the one Asio file of mail/imap): reads bytes with timeouts, frames
// them with command_reader, runs each command's handler on the store pool (handlers touch
// the store; LOGIN's password hash goes to the blocking pool) or, for short reads, inline (inline.hpp), writes replies, and does the parts that need the socket itself: STARTTLS,
// AUTHENTICATE's exchange, IDLE (woken by the event bus), COMPRESS=DEFLATE.
#pragma once
#include <chrono>
#include <memory>

#include "core/net/server.hpp"
#include "mail/imap/server/state.hpp"

namespace hearth::events {
class bus;
}

namespace hearth::mail::imap {

struct session_options {
  std::chrono::seconds idle_timeout{30 * 60};      // RFC 9051 §5.4: at least 30 minutes
  std::chrono::seconds login_timeout{60};          // before authentication
  std::chrono::seconds handshake_timeout{30};
  std::size_t max_line = 64 * 1024;
  unsigned max_errors = 20;                        // BAD responses before the session ends
  std::size_t max_search_depth = 32;               // nesting of OR/NOT/() in SEARCH/SORT/THREAD
  // Run short read commands on the session's I/O thread (inline.hpp). Only where every store
  // IMAP reads is a local SQLite file in WAL mode: a PostgreSQL read is a network round trip.
  bool inline_reads = false;
};

// A handler for net::server. `env` and `bus` must outlive every session; bus may be null
// (IDLE then polls the store). implicit_tls: port 993 (the server did the handshake).
net::handler make_handler(std::shared_ptr<const server_env> env, events::bus* bus, bool implicit_tls,
                          session_options opts = {});

}  // namespace hearth::mail::imap
