#include "core/db/db.hpp"
#include "core/db/checkpointer.hpp"
#include "core/db/group_sync.hpp"
#include "core/db/write_guard.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

using namespace hearth;

namespace {

// A fresh file path under the temp dir, removed (with -wal/-shm) at scope end.
struct temp_db {
  std::filesystem::path path;
  temp_db() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("hearth_db_test_" + std::to_string(rd()) + std::to_string(rd()) + ".sqlite");
  }
  ~temp_db() {
    std::error_code ec;
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix, ec);
  }
};

std::int64_t count(db::connection& c, const char* table) {
  auto st = c.prepare(std::string("SELECT COUNT(*) FROM ") + table).value();
  REQUIRE(st.step().value());
  return st.column_int64(0);
}

}  // namespace

TEST_CASE("db: open sets the pragmas") {
  temp_db t;
  auto c = db::connection::open(t.path).value();
  auto st = c.prepare("PRAGMA journal_mode").value();
  REQUIRE(st.step().value());
  CHECK(st.column_text(0) == "wal");
  auto fk = c.prepare("PRAGMA foreign_keys").value();
  REQUIRE(fk.step().value());
  CHECK(fk.column_int64(0) == 1);
  auto sync = c.prepare("PRAGMA synchronous").value();
  REQUIRE(sync.step().value());
  CHECK(sync.column_int64(0) == 1);  // NORMAL
}

TEST_CASE("db: open of an unusable path fails with db.open") {
  auto r = db::connection::open("/nonexistent-dir-hearth/x/y.sqlite");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "db.open");
}

TEST_CASE("db: prepare, bind, step, columns") {
  temp_db t;
  auto c = db::connection::open(t.path).value();
  REQUIRE(c.exec("CREATE TABLE t(i INTEGER, s TEXT, b BLOB, n TEXT)"));
  auto ins = c.prepare("INSERT INTO t(i, s, b, n) VALUES(?1, ?2, ?3, ?4)").value();
  std::vector<std::uint8_t> blob{0, 1, 2, 255};
  ins.bind(1, std::int64_t{1} << 40).bind(2, std::string_view("h\xc3\xa9llo")).bind(3, blob).bind(4, nullptr);
  REQUIRE(ins.run());
  CHECK(c.changes() == 1);
  CHECK(c.last_insert_rowid() == 1);
  ins.reset();
  ins.bind_all(7, std::string("x"), std::vector<std::uint8_t>{}, std::optional<std::string>("y"));
  REQUIRE(ins.run());
  CHECK(c.last_insert_rowid() == 2);

  auto sel = c.prepare("SELECT i, s, b, n FROM t ORDER BY rowid").value();
  REQUIRE(sel.step().value());
  CHECK(sel.column_int64(0) == (std::int64_t{1} << 40));
  CHECK(sel.column_text(1) == "h\xc3\xa9llo");
  CHECK(sel.column_blob(2) == blob);
  CHECK(sel.column_is_null(3));
  CHECK(sel.column_is_null(17));  // out of range reads as NULL, no crash
  REQUIRE(sel.step().value());
  CHECK(sel.column_int64(0) == 7);
  CHECK(sel.column_blob(2).empty());
  CHECK_FALSE(sel.column_is_null(2));  // an empty blob is not NULL
  CHECK(sel.column_text(3) == "y");
  CHECK_FALSE(sel.step().value());
}

TEST_CASE("db: errors are values with stable codes") {
  temp_db t;
  auto c = db::connection::open(t.path).value();
  REQUIRE(c.exec("CREATE TABLE u(name TEXT PRIMARY KEY)"));
  auto bad = c.prepare("SELEKT 1");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == "db.error");
  CHECK_FALSE(c.prepare("SELECT 1; SELECT 2"));
  auto ins = c.prepare("INSERT INTO u VALUES(?1)").value();
  REQUIRE(ins.bind(1, "a").run());
  auto dup = ins.bind(1, "a").run();
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == "db.constraint");
  auto oob = ins.bind(5, "b").run();  // bind error surfaces at run()
  REQUIRE_FALSE(oob);
  CHECK(oob.error().code == "db.error");
}

TEST_CASE("db: the statement cache hands out distinct statements for the same SQL") {
  temp_db t;
  auto c = db::connection::open(t.path).value();
  REQUIRE(c.exec("CREATE TABLE n(v INT); INSERT INTO n VALUES(1),(2),(3);"));
  const char* sql = "SELECT v FROM n ORDER BY v";
  auto a = c.prepare(sql).value();
  REQUIRE(a.step().value());
  auto b = c.prepare(sql).value();  // nested use while `a` is mid-iteration
  REQUIRE(b.step().value());
  CHECK(a.native_handle() != b.native_handle());
  REQUIRE(a.step().value());
  CHECK(a.column_int64(0) == 2);
  CHECK(b.column_int64(0) == 1);
  sqlite3_stmt* h = a.native_handle();
  { auto gone = std::move(a); }  // back to the cache, reset
  auto again = c.prepare(sql).value();
  CHECK(again.native_handle() == h);
  REQUIRE(again.step().value());
  CHECK(again.column_int64(0) == 1);  // starts over: it was reset
}

TEST_CASE("db: transaction commits, and rolls back on exception") {
  temp_db t;
  auto c = db::connection::open(t.path).value();
  REQUIRE(c.exec("CREATE TABLE x(v INT)"));
  {
    db::transaction tx(c);
    REQUIRE(c.exec("INSERT INTO x VALUES(1)"));
    REQUIRE(tx.commit());
  }
  CHECK(count(c, "x") == 1);
  try {
    db::transaction tx(c);
    REQUIRE(c.exec("INSERT INTO x VALUES(2)"));
    CHECK(c.in_transaction());
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  CHECK_FALSE(c.in_transaction());
  CHECK(count(c, "x") == 1);
  {
    auto tx = db::transaction::begin(c).value();
    REQUIRE(c.exec("INSERT INTO x VALUES(3)"));
    tx.rollback();
    CHECK_FALSE(tx.commit());  // already ended
  }
  CHECK(count(c, "x") == 1);
}

TEST_CASE("db: a second writer waits for the lock, then gets db.busy only past the timeout") {
  temp_db t;
  auto a = db::connection::open(t.path).value();
  auto b = db::connection::open(t.path).value();
  REQUIRE(a.exec("CREATE TABLE x(v INT)"));
  REQUIRE(b.exec("PRAGMA busy_timeout=50"));  // keep the test short
  auto tx = db::transaction::begin(a).value();
  auto other = db::transaction::begin(b);
  REQUIRE_FALSE(other);
  CHECK(other.error().code == "db.busy");
  REQUIRE(tx.commit());
  CHECK(db::transaction::begin(b));
}

TEST_CASE("db: a durable commit waits for a WAL fsync that began after it, without synchronous=FULL") {
  temp_db t;
  auto c = db::connection::open(t.path).value();
  REQUIRE(c.exec("CREATE TABLE x(v INT)"));
  auto sync = [&] {
    auto st = c.prepare("PRAGMA synchronous").value();
    REQUIRE(st.step().value());
    return st.column_int64(0);
  };
  auto group = db::detail::sync_group(t.path);
  REQUIRE(group);
  const auto before = group->syncs();
  {
    db::transaction tx(c, db::durability::full);
    // The commit is written with NORMAL: the fsync happens after the write lock is freed.
    CHECK(sync() == 1);
    REQUIRE(c.exec("INSERT INTO x VALUES(1)"));
    REQUIRE(tx.commit());
  }
  CHECK(group->syncs() == before + 1);
  {
    db::transaction tx(c, db::durability::normal);
    REQUIRE(c.exec("INSERT INTO x VALUES(2)"));
    REQUIRE(tx.commit());
  }
  CHECK(group->syncs() == before + 1);  // a normal commit does not sync
  {
    db::transaction tx(c, db::durability::full);
  }  // rolled back: nothing to sync
  CHECK(group->syncs() == before + 1);
  auto other = db::connection::open(t.path).value();
  CHECK(count(other, "x") == 2);
}

TEST_CASE("db: the WAL sync keeps its descriptor, and opens the WAL again once it is another file") {
  temp_db t;
  const auto wal_path = t.path.string() + "-wal";
  db::detail::wal_file wal(wal_path, t.path.string());
  auto write = [](db::connection& c, int v) { REQUIRE(c.exec("INSERT INTO x VALUES(" + std::to_string(v) + ")")); };
  {
    auto c = db::connection::open(t.path).value();
    REQUIRE(c.exec("CREATE TABLE x(v INT)"));
    write(c, 1);
    REQUIRE(std::filesystem::exists(wal_path));
    CHECK(wal.sync());
    write(c, 2);
    CHECK(wal.sync());
    CHECK(wal.opens() == 1);  // one open for both syncs
    // A TRUNCATE checkpoint empties the same file: the descriptor still names it.
    REQUIRE(c.exec("PRAGMA wal_checkpoint(TRUNCATE)"));
    write(c, 3);
    CHECK(wal.sync());
    CHECK(wal.opens() == 1);
  }  // the last connection checkpoints and removes the WAL
  REQUIRE_FALSE(std::filesystem::exists(wal_path));
  CHECK(wal.sync());  // no WAL: the database file is synced
  auto c = db::connection::open(t.path).value();
  write(c, 4);
  REQUIRE(std::filesystem::exists(wal_path));
  CHECK(wal.sync());
  CHECK(wal.opens() == 2);  // a new file: opened again, not the removed one synced
  CHECK(count(c, "x") == 4);
}

TEST_CASE("db: concurrent durable commits all land, sharing fsyncs") {
  temp_db t;
  {
    auto c = db::connection::open(t.path).value();
    REQUIRE(c.exec("CREATE TABLE x(v INT)"));
  }
  auto group = db::detail::sync_group(t.path);
  REQUIRE(group);
  const auto before = group->syncs();
  constexpr int threads = 8, per_thread = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      auto c = db::connection::open(t.path).value();
      for (int k = 0; k < per_thread; ++k) {
        auto tx = db::transaction::begin(c, db::durability::full);
        if (!tx || !c.exec("INSERT INTO x VALUES(" + std::to_string(i * 100 + k) + ")") || !tx->commit()) ++failures;
      }
    });
  }
  for (auto& w : workers) w.join();
  CHECK(failures == 0);
  auto c = db::connection::open(t.path).value();
  CHECK(count(c, "x") == threads * per_thread);
  const auto syncs = group->syncs() - before;
  CHECK(syncs >= 1);
  CHECK(syncs <= static_cast<std::uint64_t>(threads * per_thread));
}

TEST_CASE("db: an in-memory database keeps synchronous=FULL for a durable commit") {
  auto c = db::connection::open(":memory:").value();
  REQUIRE(c.exec("CREATE TABLE x(v INT)"));
  auto sync = [&] {
    auto st = c.prepare("PRAGMA synchronous").value();
    REQUIRE(st.step().value());
    return st.column_int64(0);
  };
  {
    db::transaction tx(c, db::durability::full);
    CHECK(sync() == 2);  // FULL: no WAL to group-sync
    REQUIRE(tx.commit());
  }
  CHECK(sync() == 1);
}

TEST_CASE("db: database hands each thread its own connection and closes it with the thread") {
  temp_db t;
  auto d = db::database::open(t.path).value();
  db::connection& mine = d.get();
  CHECK(&d.get() == &mine);
  REQUIRE(mine.exec("CREATE TABLE x(v INT)"));
  CHECK(d.connection_count() == 1);

  db::connection* theirs = nullptr;
  std::size_t count_inside = 0;
  bool inserted = false;
  // Catch2 assertions are not thread-safe: the thread records, the test thread checks.
  std::thread th([&] {
    theirs = &d.get();
    inserted = bool(theirs->exec("INSERT INTO x VALUES(42)"));
    count_inside = d.connection_count();
  });
  th.join();
  CHECK(inserted);
  CHECK(theirs != &mine);
  CHECK(count_inside == 2);
  CHECK(d.connection_count() == 1);  // the thread ended: its connection is gone
  CHECK(count(mine, "x") == 1);
}

TEST_CASE("db: destroying the database closes other threads' connections safely") {
  temp_db t;
  std::mutex m;
  std::condition_variable cv;
  int phase = 0;
  auto d = std::make_unique<db::database>(db::database::open(t.path).value());
  bool created = false;
  std::int64_t rows = -1;
  std::thread th([&] {
    created = bool(d->get().exec("CREATE TABLE IF NOT EXISTS x(v INT)"));
    std::unique_lock lock(m);
    phase = 1;
    cv.notify_all();
    cv.wait(lock, [&] { return phase == 2; });
    // The database is gone; a new one at possibly the same address must give a new connection.
    auto d2 = db::database::open(t.path).value();
    auto st = d2.get().prepare("SELECT COUNT(*) FROM x");
    if (auto r = st ? st->step() : hearth::result<bool>(false); r && *r) rows = st->column_int64(0);
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return phase == 1; });
    CHECK(d->connection_count() == 2);
    d.reset();
    phase = 2;
    cv.notify_all();
  }
  th.join();  // thread exit with a stale entry must not touch the destroyed state
  CHECK(created);
  CHECK(rows == 0);
}

// ---- migrations ---------------------------------------------------------------------------

namespace {
const db::migration v1[] = {
    {1, "notes table", "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL);"},
};
const db::migration v2[] = {
    {1, "notes table", "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL);"},
    {2, "notes tags", "ALTER TABLE notes ADD COLUMN tag TEXT NOT NULL DEFAULT ''; CREATE INDEX notes_tag ON notes(tag);"},
};
}  // namespace

TEST_CASE("migrate: from an empty database") {
  temp_db t;
  auto c = db::connection::open(t.path).value();
  CHECK(db::migrate(c, "test", v2).value() == 2);
  CHECK(db::schema_version(c, "test").value() == 2);
  CHECK(db::schema_version(c, "other").value() == 0);
  REQUIRE(c.exec("INSERT INTO notes(body, tag) VALUES('a', 'b')"));
  CHECK(db::migrate(c, "test", v2).value() == 2);  // idempotent
  CHECK(count(c, "schema_migrations") == 2);
}

TEST_CASE("migrate: from a previous version keeps the data") {
  temp_db t;
  {
    auto c = db::connection::open(t.path).value();
    CHECK(db::migrate(c, "test", v1).value() == 1);
    REQUIRE(c.exec("INSERT INTO notes(body) VALUES('kept')"));
  }
  auto c = db::connection::open(t.path).value();
  CHECK(db::migrate(c, "test", v2).value() == 2);
  auto st = c.prepare("SELECT body, tag FROM notes").value();
  REQUIRE(st.step().value());
  CHECK(st.column_text(0) == "kept");
  CHECK(st.column_text(1) == "");
}

TEST_CASE("migrate: refuses a database newer than the code") {
  temp_db t;
  auto c = db::connection::open(t.path).value();
  REQUIRE(db::migrate(c, "test", v2));
  auto r = db::migrate(c, "test", v1);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "db.schema_newer");
}

TEST_CASE("migrate: a failing migration is rolled back, earlier ones stay") {
  temp_db t;
  auto c = db::connection::open(t.path).value();
  const db::migration bad[] = {
      {1, "ok", "CREATE TABLE a(v INT);"},
      {2, "half", "CREATE TABLE b(v INT); THIS IS NOT SQL;"},
  };
  auto r = db::migrate(c, "test", bad);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "db.migration");
  CHECK(db::schema_version(c, "test").value() == 1);
  CHECK(c.prepare("SELECT * FROM a"));
  CHECK_FALSE(c.prepare("SELECT * FROM b"));  // rolled back with its transaction
  const db::migration unordered[] = {{2, "x", "SELECT 1"}, {1, "y", "SELECT 1"}};
  CHECK(db::migrate(c, "other", unordered).error().code == "db.migration");
}

TEST_CASE("db: inside a no_write_scope reads run, writes fail at once and are noted") {
  temp_db t;
  auto c = db::connection::open(t.path).value();
  REQUIRE(c.exec("CREATE TABLE x(v INT); INSERT INTO x VALUES(1)"));
  {
    db::no_write_scope scope;
    CHECK(count(c, "x") == 1);
    CHECK_FALSE(scope.write_attempted());
    auto ins = c.prepare("INSERT INTO x VALUES(2)").value();
    auto r = ins.run();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "db.would_write");
    CHECK(scope.write_attempted());
    auto tx = db::transaction::begin(c, db::durability::normal);
    REQUIRE_FALSE(tx);
    CHECK(tx.error().code == "db.would_write");
  }
  // The scope ended: writes work again, and nothing of the refused ones landed.
  CHECK(count(c, "x") == 1);
  auto tx = db::transaction::begin(c).value();
  REQUIRE(c.prepare("INSERT INTO x VALUES(3)").value().run());
  REQUIRE(tx.commit());
  CHECK(count(c, "x") == 2);
  // Per thread: another thread's scope does not refuse this thread's writes.
  std::thread other([] {
    db::no_write_scope scope;
  });
  other.join();
  CHECK(c.prepare("INSERT INTO x VALUES(4)").value().run());
}

TEST_CASE("db: in a quick_writes scope a write that need not wait commits") {
  temp_db t;
  auto c = db::connection::open(t.path).value();
  REQUIRE(c.exec("CREATE TABLE x(v INT)"));
  using mode = db::no_write_scope::mode;
  {
    db::no_write_scope scope(mode::quick_writes);
    // Outside a transaction a write statement would take SQLite's lock unqueued: refused.
    auto bare = c.prepare("INSERT INTO x VALUES(1)").value().run();
    REQUIRE_FALSE(bare);
    CHECK(bare.error().code == "db.would_write");
    CHECK(scope.write_attempted());
  }
  {
    db::no_write_scope scope(mode::quick_writes);
    auto tx = db::transaction::begin(c, db::durability::normal);
    REQUIRE(tx);
    REQUIRE(c.prepare("INSERT INTO x VALUES(2)").value().run());
    CHECK_FALSE(scope.committed());
    REQUIRE(tx->commit());
    CHECK(scope.committed());
    CHECK_FALSE(scope.write_attempted());
    // Once something committed, later writes are finished here (waiting if need be), never
    // refused: the caller cannot run the work again without applying it twice.
    auto tx2 = db::transaction::begin(c, db::durability::full);
    REQUIRE(tx2);
    REQUIRE(c.prepare("INSERT INTO x VALUES(3)").value().run());
    REQUIRE(tx2->commit());
    CHECK_FALSE(scope.write_attempted());
  }
  CHECK(count(c, "x") == 2);
  {
    db::no_write_scope scope(mode::quick_writes);
    // A durable commit waits for an fsync: refused before anything is written.
    auto tx = db::transaction::begin(c, db::durability::full);
    REQUIRE_FALSE(tx);
    CHECK(tx.error().code == "db.would_write");
    CHECK(scope.write_attempted());
    // After a refusal the work will run again elsewhere, so nothing more commits here.
    auto tx2 = db::transaction::begin(c, db::durability::normal);
    REQUIRE_FALSE(tx2);
    CHECK_FALSE(scope.committed());
  }
  {
    db::no_write_scope scope(mode::quick_writes);
    auto tx = db::transaction::begin(c, db::durability::normal).value();
    // A rolled back transaction commits nothing.
    REQUIRE(c.prepare("INSERT INTO x VALUES(4)").value().run());
    tx.rollback();
    CHECK_FALSE(scope.committed());
    CHECK_FALSE(scope.write_attempted());
  }
  CHECK(count(c, "x") == 2);
}

TEST_CASE("db: in a quick_writes scope a write refuses at once while another writer holds the lock") {
  temp_db t;
  auto c = db::connection::open(t.path).value();
  REQUIRE(c.exec("CREATE TABLE x(v INT)"));
  std::mutex m;
  std::condition_variable cv;
  bool holding = false, release = false;
  // Another thread of this process holds the write lock (as an APPEND on the store pool).
  std::thread writer([&] {
    auto o = db::connection::open(t.path).value();
    auto tx = db::transaction::begin(o).value();
    REQUIRE(o.prepare("INSERT INTO x VALUES(1)").value().run());
    std::unique_lock lock(m);
    holding = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    lock.unlock();
    REQUIRE(tx.commit());
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return holding; });
  }
  {
    db::no_write_scope scope(db::no_write_scope::mode::quick_writes);
    auto tx = db::transaction::begin(c, db::durability::normal);
    REQUIRE_FALSE(tx);
    CHECK(tx.error().code == "db.would_write");
    CHECK(scope.write_attempted());
  }
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  writer.join();
  // The lock is free again: the same quick write goes through, and the gate was given back.
  {
    db::no_write_scope scope(db::no_write_scope::mode::quick_writes);
    auto tx = db::transaction::begin(c, db::durability::normal);
    REQUIRE(tx);
    REQUIRE(c.prepare("INSERT INTO x VALUES(2)").value().run());
    REQUIRE(tx->commit());
    CHECK(scope.committed());
  }
  auto tx = db::transaction::begin(c).value();
  REQUIRE(tx.commit());
  CHECK(count(c, "x") == 2);
}

TEST_CASE("db: a connection first opened inside a scope still takes quick writes") {
  temp_db t;
  {
    auto c = db::connection::open(t.path).value();
    REQUIRE(c.exec("CREATE TABLE x(v INT)"));
  }
  // An I/O thread opens its connection during its first inline command: the open must still
  // see the WAL mode (and so join the group fsync), or no quick write could ever run on it.
  std::thread io([&] {
    db::no_write_scope scope(db::no_write_scope::mode::quick_writes);
    auto c = db::connection::open(t.path).value();
    auto tx = db::transaction::begin(c, db::durability::normal);
    REQUIRE(tx);
    REQUIRE(c.prepare("INSERT INTO x VALUES(1)").value().run());
    REQUIRE(tx->commit());
    CHECK(scope.committed());
    CHECK_FALSE(scope.write_attempted());
  });
  io.join();
  auto c = db::connection::open(t.path).value();
  CHECK(count(c, "x") == 1);
}

TEST_CASE("db: a quick write refuses at once while another process holds SQLite's lock") {
  temp_db t;
  auto c = db::connection::open(t.path).value();
  REQUIRE(c.exec("CREATE TABLE x(v INT)"));
  // A raw handle stands for another process: it does not queue on this process's gate.
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(t.path.c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  {
    db::no_write_scope scope(db::no_write_scope::mode::quick_writes);
    auto tx = db::transaction::begin(c, db::durability::normal);
    REQUIRE_FALSE(tx);
    CHECK(scope.write_attempted());
  }
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  // The gate was given back when SQLite refused.
  auto tx = db::transaction::begin(c).value();
  REQUIRE(c.prepare("INSERT INTO x VALUES(1)").value().run());
  REQUIRE(tx.commit());
  CHECK(count(c, "x") == 1);
}

TEST_CASE("db: the WAL is checkpointed by the file's own thread, and emptied when idle") {
  temp_db t;
  auto c = db::connection::open(t.path).value();
  REQUIRE(c.exec("CREATE TABLE x(v BLOB)"));
  auto cp = db::detail::checkpointer_for(t.path);
  REQUIRE(cp);
  CHECK(cp->runs() == 0);
  const std::string payload(4000, 'x');  // about one 4 KiB page a commit
  for (int i = 0; i < 3000; ++i) {
    auto tx = db::transaction::begin(c).value();
    REQUIRE(c.prepare("INSERT INTO x VALUES(?1)").value().bind_all(payload).run());
    REQUIRE(tx.commit());
  }
  CHECK(count(c, "x") == 3000);
  // Past 1000 frames the commits asked for checkpoints; once the writes stop, the idle
  // TRUNCATE empties the WAL. Bounded wait: the thread runs when the machine lets it.
  for (int i = 0; i < 300 && (cp->runs() == 0 || cp->truncations() == 0); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(cp->runs() >= 1);
  CHECK(cp->truncations() >= 1);
  CHECK(std::filesystem::file_size(t.path.string() + "-wal") == 0);
  // Everything is in the database file: a new connection reads it all.
  auto d = db::connection::open(t.path).value();
  CHECK(count(d, "x") == 3000);
}

TEST_CASE("db: a file without enough commits starts no checkpoint thread") {
  temp_db t;
  auto c = db::connection::open(t.path).value();
  REQUIRE(c.exec("CREATE TABLE x(v INTEGER)"));
  for (int i = 0; i < 10; ++i) {
    auto tx = db::transaction::begin(c).value();
    REQUIRE(c.prepare("INSERT INTO x VALUES(?1)").value().bind_all(i).run());
    REQUIRE(tx.commit());
  }
  auto cp = db::detail::checkpointer_for(t.path);
  REQUIRE(cp);
  CHECK(cp->runs() == 0);
  CHECK(std::filesystem::file_size(t.path.string() + "-wal") > 0);
}
