// Point-to-point text messages between nodes over PostgreSQL NOTIFY (README "Several nodes":
// XMPP stanzas for a session bound on another node). Each node LISTENs on a channel of its own
// and NOTIFYs the channel of the node a message is for. Unlike the event bus
// (event_transport.hpp) nothing is broadcast and nothing is resynced: a message is handed over
// at most once, and one that cannot be (queue full, database down, payload too big) is dropped
// with a log line, as a stanza to a session that just went away would be.
//
// Two threads with a connection each, as event_transport: the listener waits in slices of at
// most 250 ms (to notice stop()) and reconnects with backoff; the sender NOTIFYs in order.
// listener_pid() is the listening connection's server process: while it exists the node is
// alive (xmpp/store/registry.hpp uses it to see a node killed with -9 at once).
//
// Thread-safety: send() and stop() from any thread; the receiver runs on the listener thread.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace hearth::pg {

struct notify_channel_options {
  std::string url;      // libpq URL or keywords, as pg::connection::open takes
  std::string channel;  // ours: letters, digits and '_' (see channel_name())
  std::chrono::milliseconds min_backoff{200};
  std::chrono::milliseconds max_backoff{5'000};
  std::size_t max_queued = 10'000;  // messages waiting to be sent; beyond, new ones are dropped
};

// A channel name for an arbitrary id (a node id may hold '-' and '.'): prefix + 16 hex digits
// of a 64-bit FNV-1a hash of the id; lowercase, since LISTEN folds an unquoted name.
std::string channel_name(std::string_view prefix, std::string_view id);

class notify_channel {
 public:
  using receiver = std::function<void(std::string payload)>;
  explicit notify_channel(notify_channel_options o);
  ~notify_channel();
  notify_channel(const notify_channel&) = delete;
  notify_channel& operator=(const notify_channel&) = delete;

  void start(receiver r);
  // Queues `payload` (under 8000 bytes, no NUL) for `channel`. Never blocks on the network.
  // False (logged) when dropped because the queue is full.
  bool send(std::string channel, std::string payload);
  void stop();  // idempotent; no receiver call after it returns

  int listener_pid() const { return listener_pid_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  void listen_loop();
  void send_loop();
  bool pause(std::chrono::milliseconds d);

  notify_channel_options o_;
  receiver r_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, std::string>> queue_;
  bool stopping_ = false;
  std::atomic<int> listener_pid_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::thread listener_, sender_;
};

}  // namespace hearth::pg
