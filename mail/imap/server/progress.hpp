// RFC 9585 INPROGRESS: untagged `* OK [INPROGRESS ("tag" done goal)]` notes that a command
// over many messages (SEARCH, SORT, THREAD, FETCH, STORE) is still working, so that a client
// shows progress and does not time the connection out.
//
// A handler makes one progress_meter per command and calls step() once per message; the meter
// sends a note through session_state::push (the session writes it at once, while the handler
// still runs on the blocking pool) only at every server_env::progress_step-th message and only
// when server_env::progress_interval has passed since the command began or the last note.
// Checking the clock only at those steps keeps the per-message cost to one comparison.
// Without a push sink (no session, or a mailbox too small to need it) it does nothing.
// Not thread-safe: one meter per running command.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

class progress_meter {
 public:
  // goal: the number of messages the command will look at (RFC 9585 progress-goal).
  progress_meter(const session_state& st, std::string_view tag, std::uint64_t goal);

  // `done` messages of the goal are finished.
  void step(std::uint64_t done);

  // The note itself: `* OK [INPROGRESS ("tag" done goal)] Still working` with CRLF.
  static std::string note(std::string_view tag, std::uint64_t done, std::uint64_t goal);

 private:
  const session_state& st_;
  std::string tag_;
  std::uint64_t goal_;
  std::uint64_t every_;
  std::chrono::steady_clock::time_point last_;
  bool on_;
};

}  // namespace hearth::mail::imap
