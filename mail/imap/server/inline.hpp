// Which commands the session may run on its own I/O thread instead of the blocking pool.
//
// Every command used to run on the blocking pool: two thread hops (I/O strand -> pool -> back)
// per command, which on a busy 2-core machine were most of a read's latency (3-4 ms p50
// against Dovecot's 0.5-1). A short read of SQLite in WAL mode never waits for a writer, so
// the commands that only read, with bounded work (no blob read, no long scan), run inline.
// Writes run here only when they need not wait: the session runs an inline command inside a
// sql::no_write_scope in quick_writes mode (core/db/write_guard.hpp), where a write
// transaction of normal durability (STORE, EXPUNGE, a \Recent claim, a first-use summary)
// starts only if this process's writer gate is free at that instant, and its commit, an
// append to the WAL without fsync, takes ~0.1 ms. A durable write (APPEND, COPY) or one that
// finds the gate held (an APPEND's transaction on the pool) is refused: the command's state
// changes and reply are thrown away and it runs again on the pool. So no I/O thread waits for
// the write lock or a disk flush, and a STORE skips the two thread hops to the pool and back.
#pragma once
#include "mail/imap/proto/types.hpp"
#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

// Whether `cmd` is a read or a quick write with bounded work in the session's current state.
// Pure; the caller also decides whether the store's engine allows inline work at all
// (PostgreSQL does not: each statement is a network round trip).
bool may_run_inline(const session_state& st, const command& cmd);

}  // namespace hearth::mail::imap
