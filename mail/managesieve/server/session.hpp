// The ManageSieve session adapter: socket, timeouts, literals, STARTTLS, the SASL exchange;
// everything else is the engine (engine.hpp), run on the blocking pool.
#pragma once
#include <chrono>
#include <memory>

#include "core/net/server.hpp"
#include "mail/managesieve/proto/reader.hpp"
#include "mail/managesieve/server/engine.hpp"

namespace hearth::mail::managesieve {

struct session_options {
  std::chrono::seconds timeout{300};  // every read
  std::chrono::seconds handshake_timeout{30};
  std::size_t max_line = 8192;        // one line outside literals
  reader_limits limits;               // literal and command sizes
  unsigned max_errors = 20;           // NO answers to bad syntax before the session is closed
};

net::handler make_handler(std::shared_ptr<const engine_env> env, session_options opts = {});

}  // namespace hearth::mail::managesieve
