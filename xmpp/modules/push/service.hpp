// Push notifications (XEP-0357): clients register an app server (enable/disable on their own
// account), and each message that waits for them (stored offline, or queued for a session
// hibernated by stream management or made inactive by CSI) publishes a notification to that
// app server, over s2s or to a local component. The session itself stays hibernated, so the
// phone woken by the notification resumes it (XEP-0198) and gets the message.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "xmpp/modules/push/store.hpp"

namespace hearth::xmpp {
class hub;
}

namespace hearth::xmpp::push {

struct options {
  bool summary = false;             // message count and last sender in the notification
  std::size_t max_per_account = 10; // registrations (devices) per account
  std::int64_t interval_us = 60'000'000;  // between notifications to one device while messages wait; 0 = each
};

// Registers the iq handlers, the account feature and the waiting-message hook. The store
// must outlive the hub's use of it.
void install(hub& h, push_store& store, options opts);

}  // namespace hearth::xmpp::push
