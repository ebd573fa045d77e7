// How many PostgreSQL connections a node opens for its stores (`[database] pool`).
//
// Every store of a process that opens the same PostgreSQL target shares one bounded pool of
// connections: a store's connection (database::get()) holds none while idle; it borrows one
// for each statement run outside a transaction, and for a transaction from begin() to
// commit()/rollback(). Statements stay prepared on each pooled connection (cached by their
// text), so a connection lent again does not parse them again. A connection the server ended
// while idle (pg_terminate_backend, a restart) is noticed before it is lent and replaced.
// When every connection is lent, a borrower waits up to `wait`, then fails with "db.busy".
//
// SQLite is unaffected: each thread keeps its own handle, which is what SQLite wants.
// The event bus's LISTEN/NOTIFY connections (core/pg/event_transport) are not in the pool.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

namespace hearth::sql {

struct pool_options {
  std::size_t size = 0;  // connections per PostgreSQL target; 0 = default_pool_size()
  std::chrono::milliseconds wait{5000};
};

// 2 x threads + 4, threads 0 meaning one per core: one connection for each thread of the I/O
// and store pools that may hold one at once, with a few to spare for nested store calls.
std::size_t default_pool_size(unsigned threads = 0);

// Applies to pools created after the call (a process calls it once, before opening stores;
// pools already open keep their size). Thread-safe.
void configure_pool(pool_options o);

// For tests and logs: the connections open (lent or idle) in this process's pool for
// `target`, or 0 when none is open.
std::size_t pool_open_count(const std::string& target);

}  // namespace hearth::sql
