// In-process publish/subscribe between sessions (ARCHITECTURE.md "Threads and storage"):
// new mail for IMAP IDLE, XMPP routing, DAV change tokens.
//
//   auto sub = bus.subscribe("mail.new", "alice@home.test", [&](const events::event& e) { ... });
//   bus.publish({"mail.new", "alice@home.test", "INBOX"});
//
// Topics are exact strings ("mail.new", "dav.changed", ...); the key narrows a subscription to
// one account or resource so that a publish reaches only the sessions that care, without
// every callback filtering every event.
//
// Thread-safety: every member of bus may be called from any thread. Callbacks run on the
// publisher's thread, outside the bus lock, so they may publish, subscribe or unsubscribe; they
// should be short (post work to the session's executor). A callback may run on several
// publisher threads at once.
// Lifetime: a subscription unsubscribes when destroyed or reset(). When that returns, no call
// of its callback is running or will start, except one on the calling thread itself (a
// callback may reset its own subscription). So a session can destroy its subscription and then
// itself. Do not reset a subscription from inside another subscription's callback while that
// one may be resetting yours on another thread (each would wait for the other).
// The bus may be destroyed before its subscriptions; they then do nothing when destroyed.
//
// Several nodes (README "Several nodes"): with a transport attached, every event published
// here also goes to the other nodes, and theirs arrive here as if published locally (on the
// transport's thread). When the transport may have lost events (its connection dropped), every
// subscription is called once with a resync event: its own topic and key, empty data and
// resync set, meaning "something may have changed: re-check".
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::events {

struct event {
  std::string topic;
  std::string key;   // account, mailbox, JID, collection... depending on the topic
  std::string data;  // small payload; big content goes through the blob store or the database
  bool resync = false;  // see the top of this file: re-check everything under topic and key
};

// How events cross nodes (the PostgreSQL one: core/pg/event_transport.hpp). core/events knows
// no database: the transport is given what the bus publishes and hands back what the others
// did.
class transport {
 public:
  struct receiver {
    std::function<void(const event&)> deliver;  // an event another node published
    std::function<void()> resync;                // events may have been missed
  };
  virtual ~transport() = default;
  // Starts receiving; the callbacks run on the transport's own thread.
  virtual void start(receiver r) = 0;
  // An event published on this node. Must not block on the network (it is called by every
  // publisher, after its commit): queue it, or drop it and have the others resync.
  virtual void send(const event& e) = 0;
  // An event that a publisher's own database transaction carries to the other nodes, so that
  // it leaves with the commit and costs no round trip of its own: the channel and payload of
  // the notification that stands for `e`, or nullopt when it cannot travel so (too big for a
  // notification, or a transport that is not a database's). Such an event is then published
  // with bus::publish_carried(). Default: nullopt.
  struct notification {
    std::string channel, payload;
  };
  virtual std::optional<notification> carry(const event&) { return std::nullopt; }
  // Stops and joins; no callback runs after it returns. Idempotent.
  virtual void stop() = 0;
};

namespace detail {
struct bus_state;
struct entry;
}  // namespace detail

class subscription {
 public:
  subscription() = default;
  subscription(subscription&& o) noexcept = default;
  subscription& operator=(subscription&& o) noexcept;
  subscription(const subscription&) = delete;
  subscription& operator=(const subscription&) = delete;
  ~subscription() { reset(); }

  // Unsubscribes now (see the lifetime rules above). Idempotent.
  void reset();
  bool active() const { return entry_ != nullptr; }

 private:
  friend class bus;
  subscription(std::weak_ptr<detail::bus_state> s, std::shared_ptr<detail::entry> e)
      : state_(std::move(s)), entry_(std::move(e)) {}
  std::weak_ptr<detail::bus_state> state_;
  std::shared_ptr<detail::entry> entry_;
};

class bus {
 public:
  bus();
  ~bus();
  bus(const bus&) = delete;
  bus& operator=(const bus&) = delete;

  // Every event of the topic, whatever its key.
  [[nodiscard]] subscription subscribe(std::string topic, std::function<void(const event&)> fn);
  // Only events of the topic whose key equals `key` exactly.
  [[nodiscard]] subscription subscribe(std::string topic, std::string key, std::function<void(const event&)> fn);

  // Calls every matching callback on this thread, in subscription order (topic-wide ones
  // first); returns how many were called. A callback that throws is not caught: exceptions
  // stop at the session boundary, and callbacks are not one.
  std::size_t publish(const event& e) const;

  // For a publisher whose commit can carry the event (transport::carry): the notification to
  // send in its transaction, or nullopt (no transport, or one that cannot), in which case it
  // calls publish() after its commit as usual. After a commit that carried it, publish_carried
  // calls the local subscribers as publish() does and does not hand it to the transport again.
  std::optional<transport::notification> carry(const event& e) const;
  std::size_t publish_carried(const event& e) const;

  // Current number of subscriptions to the topic (any key); for tests and metrics.
  std::size_t subscribers(std::string_view topic) const;

  // Connects the bus to the other nodes: starts the transport, after which publish() also
  // hands each event to it, and what it receives is published here (without being sent back).
  // Call once, at start, before sessions subscribe. The bus stops the transport when detached
  // or destroyed.
  void attach(std::shared_ptr<transport> t);
  // Stops the transport (at shutdown, before the subscribers go). Idempotent.
  void detach();

  // Calls every subscription once with a resync event (see the top of this file) on this
  // thread; returns how many were called.
  std::size_t resync() const;

 private:
  std::shared_ptr<detail::bus_state> state_;
};

}  // namespace hearth::events
