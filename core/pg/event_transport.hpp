// The event bus across nodes on PostgreSQL (core/events/bus.hpp's transport): each node
// LISTENs on one channel with a connection of its own and NOTIFYs what its bus publishes,
// encoded by core/events/wire.hpp. PostgreSQL hands a notification to every listener,
// the sender's own included; each bus names itself with a random origin and skips its own.
//
// Two threads, each with its own connection, so that neither blocks a publisher:
//   - the listener waits on the socket (in slices of at most 250 ms, to notice stop()) and
//     delivers what others sent. When its connection drops it reconnects with backoff
//     (min_backoff doubling to max_backoff), LISTENs again and then resyncs the local bus:
//     whatever was sent in between is lost, so every watcher re-checks.
//   - the sender NOTIFYs queued events in order. An event that cannot travel as text (too
//     big, not UTF-8), a queue overflow, or a connection lost with events unsent make it send a
//     resync instead, once it is connected again: the others re-check rather than miss it.
// A store may instead send an event itself, inside the transaction that makes the change
// (carry(); core/sql/pipeline.hpp queue_notify): it then leaves with that COMMIT.
// NOTIFY is transactional and delivered in commit order, and the events waiting when the
// sender wakes go in one transaction (one round trip, up to 64), in queue order, so the events
// of one node arrive at another in the order published.
//
// Thread-safety: send() and stop() from any thread; callbacks run on the listener thread.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/events/bus.hpp"

namespace hearth::pg {

struct event_transport_options {
  std::string url;                        // libpq URL or keywords, as pg::connection::open takes
  std::string channel = "hearth_events";  // letters, digits and '_' (one per Hearth instance)
  std::chrono::milliseconds min_backoff{200};
  std::chrono::milliseconds max_backoff{10'000};
  std::size_t max_queued = 10'000;  // events waiting to be sent; beyond, the oldest go and a resync follows
};

class event_transport final : public events::transport {
 public:
  explicit event_transport(event_transport_options o);
  ~event_transport() override;

  void start(receiver r) override;
  void send(const events::event& e) override;
  // The channel and this bus's encoding of `e` (nullopt when it cannot travel as text), for a
  // store that sends it with its commit: NOTIFY is transactional, so the other nodes hear of
  // the change exactly when it is committed, in commit order with the sender's.
  std::optional<notification> carry(const events::event& e) override;
  void stop() override;

  // For tests and logs: this bus's origin, the listening connection's server process id (0
  // while disconnected), how many times the listener has connected, and whether the sender
  // has nothing left to send.
  const std::string& origin() const { return origin_; }
  int listener_pid() const { return listener_pid_; }
  int listener_connects() const { return connects_; }
  bool idle() const;

 private:
  void listen_loop();
  void send_loop();
  // Sleeps up to d unless stop() is called; false when stopping.
  bool pause(std::chrono::milliseconds d);

  event_transport_options o_;
  std::string origin_;
  receiver r_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::deque<events::event> queue_;
  bool lost_ = false;     // events were dropped: send a resync before the next one
  bool sending_ = false;  // the sender holds an event it has not sent yet
  bool stopping_ = false;
  std::atomic<int> listener_pid_{0};
  std::atomic<int> connects_{0};
  std::thread listener_, sender_;
};

}  // namespace hearth::pg
