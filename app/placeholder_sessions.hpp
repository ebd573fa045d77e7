// Stand-in sessions for every listener until the protocol folders provide real ones.
//
// Each speaks just enough of its protocol for a client to negotiate TLS (so that
// `openssl s_client -starttls X` and certificate checks work end to end), then says, in the
// protocol's own terms, that the service is not available yet and closes:
//   SMTP 421 4.3.2, IMAP * BYE [UNAVAILABLE], POP3 -ERR [SYS/TEMP],
//   XMPP <system-shutdown/> stream error, HTTPS 503.
// Protocol issues replace these one by one in serve.cpp's table.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

#include "core/config/config.hpp"
#include "core/net/server.hpp"

namespace hearth::app {

struct placeholder_options {
  std::string hostname;                          // used in greetings and stream headers
  std::chrono::seconds read_timeout{300};        // each read
  std::chrono::seconds handshake_timeout{30};    // STARTTLS handshakes
  std::size_t max_line = 8192;                   // line limit
};

// The placeholder handler for a service. Thread-safe to call; the handler holds a copy of opts.
net::handler placeholder_session(config::service svc, placeholder_options opts);

}  // namespace hearth::app
