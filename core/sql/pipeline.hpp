// Statements whose rows the caller does not read (the INSERTs and UPDATEs of a write
// transaction) need not wait for the server one by one. Inside a transaction on PostgreSQL,
// queue() keeps the statement (its parameters copied) and sends it with the connection's next
// statement that returns rows, or with flush() or commit(): all of them in one round trip.
// Elsewhere (SQLite, or outside a transaction) it runs at once.
//
//   auto tx = sql::transaction::begin(c, sql::durability::full);   // PostgreSQL: nothing sent yet
//   auto m = c.query("SELECT ...");                                // BEGIN + write lock + this: 1 trip
//   if (auto r = sql::queue(c, "INSERT ...", a, b); !r) return r.error();
//   if (auto r = sql::queue(c, "UPDATE ...", x); !r) return r.error();
//   if (auto r = tx->commit(); !r) return r.error();              // both + COMMIT: 1 trip
//
// Errors: a statement's own, either from queue() (run at once) or from the later call that
// sent it (query, flush, commit), which then runs nothing more: the transaction is failed, and
// the caller returns the error and lets it roll back, as after any failed statement. So check
// both. Run a statement with query() instead when what comes next depends on its outcome
// (affected(), a constraint error the caller handles); queued statements should return few
// rows. Same threads as the connection.
#pragma once
#include <span>
#include <string_view>

#include "core/sql/sql.hpp"

namespace hearth::sql {

result<void> queue_run(connection& c, std::string_view sql, std::span<const value> params);

template <class... Args>
result<void> queue(connection& c, std::string_view sql, const Args&... args) {
  const value params[] = {to_value(args)..., value(nullptr)};  // the extra one: no empty array
  return queue_run(c, sql, std::span<const value>(params, sizeof...(Args)));
}

// Sends what queue() holds on `c` and waits for it; nothing to do when nothing is queued.
result<void> flush(connection& c);

}  // namespace hearth::sql
