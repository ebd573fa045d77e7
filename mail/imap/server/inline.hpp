// Which commands the session may run on its own I/O thread instead of the blocking pool.
//
// A command run on the blocking pool pays two thread hops (I/O strand -> pool -> back), which
// on a busy 2-core machine are most of a read's latency (3-4 ms p50 against Dovecot's 0.5-1). A short read of SQLite in WAL mode never waits for a writer, so
// the commands that only read, with bounded work (no big blob read, no long scan), run inline.
// Writes run here only when they need not wait: the session runs an inline command inside a
// sql::no_write_scope in quick_writes mode (core/db/write_guard.hpp), where a write
// transaction of normal durability (STORE, EXPUNGE, a \Recent claim, a first-use summary)
// starts only if this process's writer gate is free at that instant, and its commit, an
// append to the WAL without fsync, takes ~0.1 ms. A durable write (APPEND, COPY) or one that
// finds the gate held (an APPEND's transaction on the pool) is refused: the command's state
// changes and reply are thrown away and it runs again on the pool. So no I/O thread waits for
// the write lock or a disk flush, and a STORE skips the two thread hops to the pool and back.
#pragma once
#include <cstdint>

#include "mail/imap/proto/types.hpp"
#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

// Whether `cmd` is a read or a quick write with bounded work in the session's current state.
// A FETCH of the bytes of a few messages counts: its handler refuses to read more than
// inline_blob_bytes of them inline (sql::may_block), so a big one goes back to the store
// pool. Pure; the caller
// also decides whether the store's engine allows inline work at all (PostgreSQL does not:
// each statement is a network round trip).
bool may_run_inline(const session_state& st, const command& cmd);

// The most message bytes a FETCH reads inline (from the page cache, as a rule, in well under a
// millisecond); above it the handler calls sql::may_block() and gives up.
constexpr std::uint64_t inline_blob_bytes = 256 * 1024;

// Whether `cmd` is a SEARCH answered from the flag index and the cached header fields
// (search.hpp searches_index_only): it runs inline whatever the mailbox's size. Such a SEARCH
// of 2 000 messages takes about a millisecond of CPU, but on the store pool, with 64 sessions
// at once, it waited tens of milliseconds for a pool thread and a core (its p50 was ~80 ms
// against 1-3 ms for an inline FETCH). Its INPROGRESS notes, should one be due, go out just
// before its reply. A cold cache (a message's summary not stored yet) means reading blobs:
// the handler then calls sql::may_block() and the command runs again on the pool. Pure.
bool inline_search(const session_state& st, const command& cmd);

// Whether `cmd` may walk enough messages to send RFC 9585 INPROGRESS notes (progress.hpp):
// only such a command takes the session's two-coroutine path, and it never runs inline. FETCH,
// SEARCH, SORT and THREAD are the commands that send notes; a FETCH walks the messages it
// names, the others the whole view. So every other command, and a FETCH of a few messages in
// a big mailbox (a client's page of headers, one body), stays on the short path: with 64
// sessions on a 2 000-message mailbox, each of them paying the pipe and the store-pool hop was
// most of their p99. Pure.
bool may_take_long(const session_state& st, const command& cmd);

}  // namespace hearth::mail::imap
