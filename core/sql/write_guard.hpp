// The write guard of core/db/write_guard.hpp, named for code above the storage layer: while a
// no_write_scope lives on a thread, a write through a SQLite store on that thread fails at
// once ("db.would_write") and is noted, so an inline read can be run again where writes may
// wait. On PostgreSQL nothing runs under it: such reads are not run inline there.
#pragma once
#include "core/db/write_guard.hpp"

namespace hearth::sql {

using no_write_scope = db::no_write_scope;
using db::inside_no_write_scope;

// For work that is not a write but must not run where a no_write_scope is either (reading a
// large blob on an I/O thread): where a write would be refused now it notes an attempt, as a
// refused write does, so the caller drops what it did and runs it again where waiting is fine,
// and returns false; outside a scope, or once a quick write has committed in it (the work can
// no longer be run again, so it is finished here), it returns true.
inline bool may_block() noexcept { return db::detail::may_write(); }

}  // namespace hearth::sql
