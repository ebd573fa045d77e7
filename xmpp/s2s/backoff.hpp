// When an outgoing s2s stream that made no progress is tried again, and when to give up.
// Pure: the caller passes the time, so the policy is tested without waiting.
#pragma once
#include <chrono>
#include <optional>

namespace hearth::xmpp {

// One remote domain's retry series. An attempt that delivered something ends the series; one
// that did not waits `first`, then twice as long each time up to `max`; when the next attempt
// would start more than `give_up` after the series' first failure, the series gives up.
// Not thread-safe: owned by the stream's coroutine.
class s2s_backoff {
 public:
  using clock = std::chrono::steady_clock;
  s2s_backoff(std::chrono::seconds first, std::chrono::seconds max, std::chrono::seconds give_up);
  // An attempt delivered something: the next failure starts a new series.
  void progressed();
  // An attempt failed at `now`. Returns the wait before the next attempt, or nullopt: give up.
  std::optional<std::chrono::seconds> failed(clock::time_point now);
  // Failed attempts in the current series.
  int failures() const { return failures_; }

 private:
  std::chrono::seconds first_, max_, give_up_, delay_;
  std::optional<clock::time_point> since_;
  int failures_ = 0;
};

}  // namespace hearth::xmpp
