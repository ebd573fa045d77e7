// For code that runs database reads on a thread that must never wait for the write lock or a
// disk flush (an IMAP read command run inline on an I/O thread, mail/imap/server/session.cpp).
//
// While a no_write_scope is alive on a thread, every write through core/db on that thread
// fails at once with "db.would_write" instead of waiting: a write transaction (BEGIN
// IMMEDIATE) and any statement that is not read-only. The scope records the attempt, so the
// caller can throw away what it did and run the whole work again where writes may wait (the
// blocking pool). Reads are untouched: in WAL mode they never wait for a writer.
//
// Thread-safety: the state is per thread; a scope must end on the thread that began it (do
// not hold one across a co_await). Scopes do not nest.
#pragma once

namespace hearth::db {

class no_write_scope {
 public:
  no_write_scope();
  ~no_write_scope();
  no_write_scope(const no_write_scope&) = delete;
  no_write_scope& operator=(const no_write_scope&) = delete;

  // Whether something on this thread tried to write since the scope began.
  bool write_attempted() const;
};

namespace detail {
// Called by core/db before a write: false (and the attempt noted) inside a no_write_scope.
bool may_write() noexcept;
// Whether this thread is inside a no_write_scope (nothing noted): for a caller that must
// first look at what it runs (core/sql's exec) before deciding it is a write.
bool writes_refused() noexcept;
}  // namespace detail

}  // namespace hearth::db
