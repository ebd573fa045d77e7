// The login throttle's counts in the database (component "auth_throttle"), shared by every
// node on it: a guesser spreading its tries over the nodes meets one count, and a block set by
// one node refuses on all. Used when the database is PostgreSQL (several nodes); one node on
// SQLite keeps the counts in memory (make_memory_throttle_state), as before.
//
// Rows: one per failure (key, time) and one per block (key, until). Failures that left the
// window and finished blocks are deleted on the way (every 256th failure, all keys at once),
// so the tables hold about one window's worth of failures.
#pragma once
#include <memory>
#include <string>

#include "auth/throttle.hpp"
#include "core/util/result.hpp"

namespace hearth::auth {

// `target`: a PostgreSQL URL or a SQLite file, as sql::open takes. Errors: "db.*".
result<std::shared_ptr<throttle_state>> open_sql_throttle_state(const std::string& target);

}  // namespace hearth::auth
