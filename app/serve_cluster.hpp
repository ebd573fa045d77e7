// What several nodes on one PostgreSQL database share beyond the stores (README "Several
// nodes"): the event bus (LISTEN/NOTIFY, core/pg/event_transport.hpp) and the login
// throttle's counts (auth/sql_throttle_state.hpp). The outbound queue's claims need nothing
// here: its store claims by node id (mail/queue/store.hpp). On SQLite (one node) both stay
// in the process, as before.
#pragma once
#include <memory>
#include <optional>
#include <string>

namespace hearth::auth {
class throttle_state;
}
namespace hearth::events {
class transport;
}

namespace hearth::app {

struct cluster_parts {
  std::shared_ptr<auth::throttle_state> throttle_counts;  // null: in memory
  std::shared_ptr<events::transport> events;               // null: this node only
};

// For the database `target` (a SQLite file or a PostgreSQL URL). nullopt (logged) when the
// database is PostgreSQL and the shared throttle cannot be opened.
std::optional<cluster_parts> open_cluster_parts(const std::string& target);

}  // namespace hearth::app
