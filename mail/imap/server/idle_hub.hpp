// Who is idling on which mailbox, so that a store event wakes only the IDLE sessions it
// concerns. Each IDLE session used to hold two bus subscriptions keyed by the mailbox's owner,
// so with 10 000 sessions of one account idling (on Archive, say) every delivery to its INBOX
// ran 10 000 callbacks on the delivering thread, each comparing names, before that APPEND or
// SMTP delivery could answer; and each IDLE start and end searched the bus's list of 10 000.
// The hub holds the bus subscriptions once per owner and an index by mailbox name, so an event
// costs a lookup plus the sessions of that mailbox, and a start or end costs a log.
//
// Which sessions an event about `mailbox` wakes: those idling on that mailbox or on one below
// it (a RENAME or DELETE of a parent carries the parent's name), and all of the owner's on an
// event without a name or a resync (events may have been lost between nodes).
//
// Thread-safety: every member may be called from any thread. A waker runs on the publisher's
// thread with the hub's lock held: it must be short and must not call the hub (post to the
// session's executor). Once a watch is destroyed, its waker is not running and never runs
// again. The hub must outlive its watches; the bus must outlive the hub.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/events/bus.hpp"

namespace hearth::mail::imap {

class idle_hub {
 public:
  explicit idle_hub(events::bus& bus) : bus_(bus) {}
  idle_hub(const idle_hub&) = delete;
  idle_hub& operator=(const idle_hub&) = delete;

  class watch {
   public:
    watch() = default;
    watch(watch&& o) noexcept : hub_(o.hub_), owner_(std::move(o.owner_)), it_(o.it_) { o.hub_ = nullptr; }
    watch& operator=(watch&& o) noexcept;
    watch(const watch&) = delete;
    watch& operator=(const watch&) = delete;
    ~watch() { reset(); }
    // Stops the waker (see the top of this file). Idempotent.
    void reset();

   private:
    friend class idle_hub;
    using iterator = std::multimap<std::string, std::function<void()>>::iterator;
    idle_hub* hub_ = nullptr;
    std::string owner_;
    iterator it_;
  };

  // Calls `wake` for every store event ("mail.new", "mail.changed") that concerns the owner's
  // mailbox, until the returned watch goes.
  watch add(const std::string& owner, const std::string& mailbox, std::function<void()> wake);

  // How many owners the hub holds bus subscriptions for (tests).
  std::size_t owners() const;

 private:
  struct owner_state {
    std::multimap<std::string, std::function<void()>> by_mailbox;
    events::subscription sub_new, sub_changed;
  };
  void on_event(const events::event& e);
  void remove(const std::string& owner, watch::iterator it);

  events::bus& bus_;
  mutable std::mutex m_;
  std::map<std::string, std::unique_ptr<owner_state>, std::less<>> owners_;
};

}  // namespace hearth::mail::imap
