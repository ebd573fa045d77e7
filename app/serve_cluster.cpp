#include "app/serve_cluster.hpp"

#include "auth/sql_throttle_state.hpp"
#include "core/log/log.hpp"
#include "core/pg/event_transport.hpp"
#include "core/sql/sql.hpp"

namespace hearth::app {

std::optional<cluster_parts> open_cluster_parts(const std::string& target) {
  cluster_parts out;
  if (!sql::is_postgres_target(target)) return out;
  auto counts = auth::open_sql_throttle_state(target);
  if (!counts) {
    log::error("serve.cluster", {{"part", "throttle"}, {"code", counts.error().code}, {"error", counts.error().message}});
    return std::nullopt;
  }
  out.throttle_counts = std::move(*counts);
  pg::event_transport_options o;
  o.url = target;
  // The transport connects on its own thread and keeps trying: a database that is down at
  // start is the same as one that goes down later (the stores fail meanwhile anyway).
  out.events = std::make_shared<pg::event_transport>(o);
  log::info("serve.cluster", {{"events", "postgres"}, {"channel", o.channel}, {"throttle", "shared"}});
  return out;
}

}  // namespace hearth::app
