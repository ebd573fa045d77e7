// The write guard of core/db/write_guard.hpp, named for code above the storage layer: while a
// no_write_scope lives on a thread, a write through a SQLite store on that thread fails at
// once ("db.would_write") and is noted, so an inline read can be run again where writes may
// wait. On PostgreSQL nothing runs under it: such reads are not run inline there.
#pragma once
#include "core/db/write_guard.hpp"

namespace hearth::sql {

using no_write_scope = db::no_write_scope;
using db::inside_no_write_scope;

}  // namespace hearth::sql
