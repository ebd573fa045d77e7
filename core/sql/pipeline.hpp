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
//
// Reads that do not need each other's rows go together too: query_all() sends them after what
// is queued and returns the rows of each, in one round trip on PostgreSQL (one after the
// other on SQLite). Each runs after the one before it, so under PostgreSQL's READ COMMITTED
// each sees what committed before it started: a try_lock (try_lock_statement) and the read
// that rests on it may travel together.
#pragma once
#include <optional>
#include <span>
#include <string_view>
#include <vector>

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

// One statement of query_all(): its parameters are views, valid for the call.
struct statement {
  std::string_view sql;
  std::vector<value> params;
};

// Runs what queue() holds, then `statements` in order, and returns the rows of each statement.
// Errors: the first statement's error met; the statements after it are not run (inside a
// transaction on PostgreSQL, the transaction is then failed, as after any failed statement).
result<std::vector<rows>> query_all(connection& c, std::span<const statement> statements);

// try_lock(c, key) as a statement for query_all(): its rows are one, whose column 0 is 1 when
// the key was taken. nullopt when no statement is needed because the answer is yes (SQLite,
// or an unscoped transaction).
std::optional<statement> try_lock_statement(connection& c, std::int64_t key);

}  // namespace hearth::sql
