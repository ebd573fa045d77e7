// One read snapshot for several reads on a connection (a header of its own so that it rebuilds
// nothing else).
//
// On SQLite each statement run outside a transaction takes the file's shared lock and a WAL
// read mark (fcntl on the database and its -shm) and gives them back when it is done: an IMAP
// read command of three statements paid that three times, 5-11 % of its CPU. Inside a
// read_snapshot the first statement takes them and they are kept until the snapshot ends, so
// the statements also see one state of the database.
//
// A write ends the snapshot first: a write transaction's begin (BEGIN IMMEDIATE must not be
// nested, and a durable one sets synchronous=FULL, which SQLite ignores inside a transaction)
// and a write statement run outside a transaction commit the read transaction, then run as
// without a snapshot. So code that may write needs no care, and what it writes is committed
// with the durability it asks for; reads after the write run without a snapshot.
//
// On PostgreSQL a snapshot does nothing: a read transaction would cost a round trip of its
// own, more than it saves.
//
// Threads: the connection's; the snapshot must end on the thread that began it, before any
// co_await (keep it to a synchronous block). Snapshots do not nest: one begun while the
// connection is in a transaction does nothing.
#pragma once
#include "core/sql/sql.hpp"

namespace hearth::sql {

class read_snapshot {
 public:
  explicit read_snapshot(connection& c) noexcept;
  ~read_snapshot();
  read_snapshot(const read_snapshot&) = delete;
  read_snapshot& operator=(const read_snapshot&) = delete;

  // Whether a snapshot is open now (false on PostgreSQL, nested, or after a write ended it).
  bool active() const noexcept;

 private:
  connection* conn_ = nullptr;  // set when this object opened the snapshot
};

}  // namespace hearth::sql
