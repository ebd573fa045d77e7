// For code that runs database work on a thread that must never wait for the write lock or a
// disk flush (an IMAP command run inline on an I/O thread, mail/imap/server/session.cpp).
//
// While a no_write_scope is alive on a thread, a write through core/db on that thread that
// would have to wait fails at once with "db.would_write" instead. The scope records the
// attempt, so the caller can throw away what it did and run the whole work again where writes
// may wait (the store pool). Reads are untouched: in WAL mode they never wait for a writer.
//
// Two modes:
// - reads_only: every write fails: a write transaction (BEGIN IMMEDIATE) and any statement
//   that is not read-only.
// - quick_writes: a write transaction of normal durability runs when it need not wait: this
//   process's writer gate of the file is free at that instant (try-lock), no other process
//   holds SQLite's lock, and the commit is not fsync'd (synchronous=NORMAL in WAL mode: the
//   commit is an append to the WAL in the page cache, ~0.1 ms). A durable transaction, or one
//   whose gate is held, fails and is noted. Its commit asks the file's checkpoint thread
//   (checkpointer.hpp) for a checkpoint only once the WAL is far past SQLite's threshold,
//   leaving it to the next commit outside a scope. Once a transaction has committed in the
//   scope, later writes no longer fail but wait as anywhere else: the work done cannot be
//   thrown away and run again (it would apply twice), so it is finished here. A command
//   that writes once (STORE, EXPUNGE, a \Recent claim) never gets there.
//
// Thread-safety: the state is per thread; a scope must end on the thread that began it (do
// not hold one across a co_await). Scopes do not nest.
#pragma once

namespace hearth::db {

class no_write_scope {
 public:
  enum class mode { reads_only, quick_writes };
  explicit no_write_scope(mode m = mode::reads_only);
  ~no_write_scope();
  no_write_scope(const no_write_scope&) = delete;
  no_write_scope& operator=(const no_write_scope&) = delete;

  // Whether a write was refused on this thread since the scope began: the work must be run
  // again elsewhere. Never true once committed() is.
  bool write_attempted() const;
  // Whether a write transaction committed on this thread since the scope began.
  bool committed() const;
};

// Whether this thread is inside a no_write_scope (either mode): housekeeping that would wait for
// a disk (an fsync'd commit, file removals) is better left to a later caller elsewhere.
bool inside_no_write_scope() noexcept;

namespace detail {
// Called by core/db before a write statement: false (and the attempt noted) when the scope
// refuses it. In quick_writes mode a statement runs inside the scope's own transaction.
bool may_write() noexcept;
// Whether a write statement on this thread would be refused now (nothing noted): for a
// caller that must first look at what it runs (core/sql's exec) before deciding it is a write.
bool writes_refused() noexcept;

// How transaction::start may take the write lock.
enum class begin_policy {
  wait,     // as outside a scope: queue on the gate, SQLite's busy timeout
  refuse,   // fail at once (noted)
  no_wait,  // try the gate once, SQLite's lock without a busy wait; on failure call refused()
};
begin_policy transaction_policy(bool durable) noexcept;
// For a no_wait transaction: it could not start (noted), or it started / ended.
void refused() noexcept;
void quick_started() noexcept;
void quick_ended(bool committed) noexcept;
// Whether the commit of this thread's open quick transaction should delay asking for a checkpoint.
bool in_quick_transaction() noexcept;
}  // namespace detail

}  // namespace hearth::db
