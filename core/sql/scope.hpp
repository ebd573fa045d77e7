// Write transactions ordered by scope instead of all against all (PostgreSQL; on SQLite every
// write transaction holds the file's one write lock, and these are transaction::begin()).
//
// transaction::begin() takes the database-wide write lock (an advisory lock shared by every
// node) exclusively: it waits for every other write transaction and they for it. A scoped
// transaction takes that lock in shared mode plus its scope locks, each a key taken shared or
// exclusive, so it waits only for transactions holding one of its keys in a conflicting mode,
// and for unscoped ones. Scopes nest by using both: a writer of one mailbox takes its account's
// key shared and the mailbox's key exclusive; a writer of the account's mailbox list takes the
// account's key exclusive, which waits for every mailbox writer of the account.
// All locks are queued with BEGIN, in one fixed order (the global lock, then the keys
// ascending), so they cost no round trip and no two transactions can wait for each other's
// keys. A scoped transaction takes no other key later except with try_lock(), which never
// waits: a deadlock needs a wait.
//
//   const sql::scope_lock locks[] = {{sql::scope_key("mail account", address), true},
//                                    {sql::scope_key("mail mailbox", id), false}};
//   auto tx = sql::begin_scoped(c, sql::durability::full, locks);
//
// What a scope promises is what the store makes of it: a scoped transaction must read and write
// only rows that every writer of them reaches under a conflicting lock (or an unscoped
// transaction), plus rows that are safe under concurrency by themselves (an atomic upsert, a
// row written by one statement). Same threads as the connection.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "core/sql/sql.hpp"

namespace hearth::sql {

// The key of a scope named (kind, name): a 64-bit FNV-1a hash of both, the same in every
// process and on every node. Two names sharing a key only wait for each other more often.
std::int64_t scope_key(std::string_view kind, std::string_view name);

struct scope_lock {
  std::int64_t key = 0;
  bool shared = false;  // waits only for (and only holds off) the key's exclusive holders
};

// Begins a write transaction holding `locks` (any order; a key named twice is taken once,
// exclusive if either asks so); no locks is transaction::begin(c, d). Errors: those of
// transaction::begin.
result<transaction> begin_scoped(connection& c, durability d, std::span<const scope_lock> locks);

// Inside a scoped transaction: takes `key` exclusively until the transaction ends if no other
// transaction holds it, and says whether it did; never waits. Always true on SQLite, and inside an unscoped
// transaction (which excludes every other writer already). Errors: "db.*" (the transaction is
// then failed).
result<bool> try_lock(connection& c, std::int64_t key);

}  // namespace hearth::sql
