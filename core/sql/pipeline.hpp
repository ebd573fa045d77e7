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

// Commits `tx` (a transaction on `c`) with `read` as its last statement and returns the read's
// rows: on PostgreSQL what is queued, the read and COMMIT travel in one round trip; on SQLite
// the read runs, then the commit. The read sees the transaction's own writes (a writer that
// also wants the state it leaves behind, as the IMAP refresh after a write does). Errors: the
// read's or the commit's; after either nothing is committed (tx rolls back when destroyed).
result<rows> commit_with(connection& c, transaction& tx, const statement& read);

// A notification (PostgreSQL NOTIFY on `channel`) that leaves with the commit of the
// transaction open on `c`, queued like queue()'s statements, so it costs no round trip and
// goes only if the transaction commits. false, and nothing queued, on SQLite or outside a
// transaction: the caller sends its notification some other way.
result<bool> queue_notify(connection& c, std::string_view channel, std::string_view payload);

// A read that need not go at once (the IMAP refresh, wanted after the command's own reads):
// on PostgreSQL ride() leaves it on `c`, and it travels with the next statement that `c` runs
// alone outside a transaction (connection::run), in that statement's round trip, after it.
// take_ride() returns its rows once it has gone, and forgets it either way (nullopt: it has
// not gone, and now will not). A rider's error is the error of the statement it went with.
// false, and nothing left, on SQLite, where a read costs no round trip. Its parameters are
// copied.
bool ride(connection& c, const statement& read);
std::optional<rows> take_ride(connection& c);

// try_lock(c, key) as a statement for query_all(): its rows are one, whose column 0 is 1 when
// the key was taken. nullopt when no statement is needed because the answer is yes (SQLite,
// or an unscoped transaction).
std::optional<statement> try_lock_statement(connection& c, std::int64_t key);

}  // namespace hearth::sql
