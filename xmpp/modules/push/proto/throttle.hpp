// How often one device is woken (XEP-0357 §8 leaves the rate to the server): a flood of
// messages to a sleeping phone sends one notification, not one per message. The first message
// that waits (the client has seen everything before it) always notifies; later ones while the
// client still has not come back notify at most once per interval, each such notification
// counting every message waiting so far (the summary's message-count).
//
// Pure and thread-compatible: the caller locks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace hearth::xmpp::push {

class throttle {
 public:
  // interval_us 0: every message notifies.
  explicit throttle(std::int64_t interval_us, std::size_t max_keys = 100000)
      : interval_us_(interval_us), max_keys_(max_keys) {}

  // Whether a notification goes to `key` (one registration: account, app server, node) for a
  // message that is the `waiting`-th waiting unread, at `now_us`. Records it when it does.
  bool allow(const std::string& key, std::size_t waiting, std::int64_t now_us);
  std::size_t size() const { return last_.size(); }

 private:
  void prune(std::int64_t now_us);

  std::int64_t interval_us_;
  std::size_t max_keys_;
  std::unordered_map<std::string, std::int64_t> last_;  // key -> when its last notification went
};

}  // namespace hearth::xmpp::push
