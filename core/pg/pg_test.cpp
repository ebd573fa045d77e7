// Runs against a real PostgreSQL server: CTest starts a private cluster around this executable
// (tests/e2e/lib/pg_cluster.py) and passes its address in HEARTH_TEST_PG_URL.
#include "core/pg/pg.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <thread>

using namespace hearth;

namespace {

std::string base_url() {
  const char* u = std::getenv("HEARTH_TEST_PG_URL");
  if (!u) FAIL("HEARTH_TEST_PG_URL is not set: run through tests/e2e/lib/pg_cluster.py run --");
  return u;
}

// Each test case works in a schema of its own, so cases cannot see each other's tables.
std::string fresh_schema(const std::string& name) {
  auto c = pg::connection::open(base_url()).value();
  c.exec("DROP SCHEMA IF EXISTS " + name + " CASCADE; CREATE SCHEMA " + name).value();
  return base_url() + " options='-c search_path=" + name + "'";
}

}  // namespace

TEST_CASE("pg: parameters and columns round-trip") {
  auto url = fresh_schema("t_types");
  auto c = pg::connection::open(url).value();
  REQUIRE(c.exec("CREATE TABLE t (i BIGINT, s TEXT, b BYTEA, d DOUBLE PRECISION, f BOOLEAN)"));
  std::vector<std::uint8_t> bytes{0, 1, 2, 0xff, 0, '\\', 'x'};
  std::optional<std::string> none;
  REQUIRE(c.query("INSERT INTO t VALUES ($1, $2, $3, $4, $5)", std::int64_t{-9007199254740993}, "caf\xc3\xa9 'q'", bytes,
                  2.5, true));
  REQUIRE(c.query("INSERT INTO t VALUES ($1, $2, $3, $4, $5)", 7, none, nullptr, 0.0, false));
  auto r = c.query("SELECT i, s, b, d, f FROM t ORDER BY i").value();
  REQUIRE(r.size() == 2);
  CHECK(r.int64(0, 0) == -9007199254740993);
  CHECK(r.text(0, 1) == "caf\xc3\xa9 'q'");
  CHECK(r.bytes(0, 2) == bytes);
  CHECK(r.real(0, 3) == 2.5);
  CHECK(r.int64(0, 4) == 1);
  CHECK(r.is_null(1, 1));
  CHECK(r.is_null(1, 2));
  CHECK(r.int64(1, 4) == 0);
  CHECK(r.opt_int64(1, 1) == std::nullopt);
  CHECK(r.is_null(5, 0));  // out of range reads as NULL
  auto u = c.query("UPDATE t SET i = i + 1").value();
  CHECK(u.affected() == 2);
}

TEST_CASE("pg: errors map to the core/db codes") {
  auto url = fresh_schema("t_errors");
  auto c = pg::connection::open(url).value();
  REQUIRE(c.exec("CREATE TABLE u (k TEXT PRIMARY KEY)"));
  REQUIRE(c.query("INSERT INTO u VALUES ($1)", "a"));
  auto dup = c.query("INSERT INTO u VALUES ($1)", "a");
  REQUIRE(!dup);
  CHECK(dup.error().code == "db.constraint");
  auto syntax = c.query("SELEKT 1");
  REQUIRE(!syntax);
  CHECK(syntax.error().code == "db.error");
  // A failed prepare is not cached: the same text fails again rather than running something.
  CHECK(!c.query("SELEKT 1"));

  auto bad = pg::connection::open("host=/nonexistent-hearth-dir port=1 user=x dbname=x connect_timeout=2");
  REQUIRE(!bad);
  CHECK(bad.error().code == "db.open");

  // A row lock another transaction holds: NOWAIT fails at once with "retry later".
  auto other = pg::connection::open(url).value();
  auto tx = pg::transaction::begin(other).value();
  REQUIRE(other.query("SELECT k FROM u WHERE k = $1 FOR UPDATE", "a"));
  auto locked = c.query("SELECT k FROM u WHERE k = $1 FOR UPDATE NOWAIT", "a");
  REQUIRE(!locked);
  CHECK(locked.error().code == "db.busy");
}

TEST_CASE("pg: transactions commit, roll back, and refuse a commit after an error") {
  auto url = fresh_schema("t_tx");
  auto c = pg::connection::open(url).value();
  REQUIRE(c.exec("CREATE TABLE v (n INTEGER UNIQUE)"));
  {
    auto tx = pg::transaction::begin(c).value();
    REQUIRE(c.query("INSERT INTO v VALUES ($1)", 1));
    CHECK(c.in_transaction());
    REQUIRE(tx.commit());
  }
  CHECK(!c.in_transaction());
  {
    auto tx = pg::transaction::begin(c, pg::durability::normal).value();
    REQUIRE(c.query("INSERT INTO v VALUES ($1)", 2));
  }  // destroyed without commit: rolled back
  {
    auto tx = pg::transaction::begin(c).value();
    REQUIRE(c.query("INSERT INTO v VALUES ($1)", 3));
    CHECK(!c.query("INSERT INTO v VALUES ($1)", 1));  // unique violation aborts the transaction
    CHECK(c.transaction_failed());
    auto done = tx.commit();
    REQUIRE(!done);
    CHECK(!tx.commit());  // twice is an error too
  }
  CHECK(!c.in_transaction());
  auto r = c.query("SELECT n FROM v ORDER BY n").value();
  REQUIRE(r.size() == 1);
  CHECK(r.int64(0, 0) == 1);
}

TEST_CASE("pg: the pool lends, waits, gives up, and drops connections left mid-transaction") {
  auto url = fresh_schema("t_pool");
  auto p = pg::pool::open(url, {.max_size = 2, .wait = std::chrono::milliseconds(200)}).value();
  {
    auto a = p.acquire().value();
    auto b = p.acquire().value();
    CHECK(a->backend_pid() != b->backend_pid());
    auto c = p.acquire();
    REQUIRE(!c);
    CHECK(c.error().code == "db.busy");
  }
  CHECK(p.open_count() == 2);
  {
    auto a = p.acquire().value();
    REQUIRE(a->exec("BEGIN"));  // given back inside a transaction
  }
  CHECK(p.open_count() == 1);

  // Several threads share a pool of two; every increment is counted once. The wait is long
  // here: this part is about sharing, and on a loaded machine a borrower may wait > 200 ms.
  p = pg::pool::open(url, {.max_size = 2, .wait = std::chrono::seconds(30)}).value();
  {
    auto c = p.acquire().value();
    REQUIRE(c->exec("CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)"));
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto c = p.acquire();
        if (!c) {
          ++failures;
          continue;
        }
        auto tx = pg::transaction::begin(**c);
        if (!tx || !(*c)->query("UPDATE counter SET n = n + 1") || !tx->commit()) ++failures;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  auto c = p.acquire().value();
  CHECK(c->query("SELECT n FROM counter").value().int64(0, 0) == 100);
  CHECK(p.open_count() <= 2);
}

TEST_CASE("pg: migrations apply once, in order, and refuse what they cannot run") {
  auto url = fresh_schema("t_migrate");
  auto c = pg::connection::open(url).value();
  const pg::migration v1[] = {{1, "create", "CREATE TABLE m (a INTEGER)"}};
  const pg::migration v2[] = {{1, "create", "CREATE TABLE m (a INTEGER)"},
                              {2, "column", "ALTER TABLE m ADD COLUMN b TEXT"}};
  CHECK(pg::schema_version(c, "demo").value() == 0);
  CHECK(pg::migrate(c, "demo", v1).value() == 1);
  CHECK(pg::migrate(c, "demo", v1).value() == 1);
  CHECK(pg::migrate(c, "demo", v2).value() == 2);
  CHECK(c.query("INSERT INTO m (a, b) VALUES ($1, $2)", 1, "x"));
  auto newer = pg::migrate(c, "demo", v1);
  REQUIRE(!newer);
  CHECK(newer.error().code == "db.schema_newer");

  const pg::migration unordered[] = {{2, "b", "SELECT 1"}, {1, "a", "SELECT 1"}};
  CHECK(pg::migrate(c, "other", unordered).error().code == "db.migration");
  const pg::migration broken[] = {{1, "ok", "CREATE TABLE ok1 (a INTEGER)"},
                                  {2, "bad", "CREATE TABLE ok2 (a INTEGER); SELEKT"}};
  auto b = pg::migrate(c, "broken", broken);
  REQUIRE(!b);
  CHECK(b.error().code == "db.migration");
  CHECK(pg::schema_version(c, "broken").value() == 1);
  CHECK(c.query("SELECT to_regclass('ok2') IS NULL").value().int64(0, 0) == 1);  // rolled back

  // Nodes starting together: each migration still runs exactly once.
  const pg::migration counted[] = {{1, "create", "CREATE TABLE runs (n INTEGER); INSERT INTO runs VALUES (1)"},
                                   {2, "again", "INSERT INTO runs VALUES (2)"}};
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      auto mine = pg::connection::open(url);
      if (!mine) return;
      auto v = pg::migrate(*mine, "race", counted);
      if (v && *v == 2) ++ok;
    });
  for (auto& t : threads) t.join();
  CHECK(ok == 4);
  CHECK(c.query("SELECT COUNT(*) FROM runs").value().int64(0, 0) == 2);
}

TEST_CASE("pg: LISTEN/NOTIFY carries events between connections") {
  auto url = fresh_schema("t_notify");
  auto listener = pg::connection::open(url).value();
  auto sender = pg::connection::open(url).value();
  REQUIRE(listener.listen("hearth_events"));
  CHECK(listener.wait_notifications(std::chrono::milliseconds(0)).value().empty());
  REQUIRE(sender.notify("hearth_events", "mailbox 42"));
  std::vector<pg::notification> got;
  for (int i = 0; i < 50 && got.empty(); ++i) got = listener.wait_notifications(std::chrono::milliseconds(100)).value();
  REQUIRE(got.size() == 1);
  CHECK(got[0].channel == "hearth_events");
  CHECK(got[0].payload == "mailbox 42");
  CHECK(got[0].sender_pid == sender.backend_pid());
  CHECK(!listener.listen("bad; DROP TABLE x"));
  CHECK(!sender.notify("bad name", "x"));
}

TEST_CASE("pg: queued statements go in one round trip with the next statement") {
  auto url = fresh_schema("t_queue");
  auto c = pg::connection::open(url).value();
  REQUIRE(c.exec("CREATE TABLE q (n INTEGER UNIQUE, s TEXT)"));
  auto before = pg::round_trips();
  {
    auto tx = pg::transaction::begin(c, pg::durability::normal).value();
    CHECK(c.in_transaction());
    c.queue("INSERT INTO q VALUES ($1, $2)", {pg::to_param(1), pg::to_param("one")});
    c.queue("INSERT INTO q VALUES ($1, $2)", {pg::to_param(2), pg::to_param(std::string_view("two"))});
    CHECK(c.queued() == 4);  // BEGIN, SET LOCAL and the two
    // Prepared on first use in the same pipeline as its execution.
    auto r = c.query("SELECT s FROM q WHERE n = $1", 2).value();
    CHECK(r.text(0, 0) == "two");
    CHECK(c.queued() == 0);
    CHECK(pg::round_trips() - before == 1);
    c.queue("UPDATE q SET s = $2 WHERE n = $1", {pg::to_param(1), pg::to_param("uno")});
    REQUIRE(tx.commit());
    CHECK(pg::round_trips() - before == 2);
  }
  CHECK(!c.in_transaction());
  CHECK(c.healthy());

  before = pg::round_trips();
  {
    auto tx = pg::transaction::begin(c).value();
    c.queue("INSERT INTO q VALUES ($1, $2)", {pg::to_param(3), pg::to_param("three")});
    c.queue("INSERT INTO q VALUES ($1, $2)", {pg::to_param(1), pg::to_param("dup")});
    c.queue("SELEKT $1", {pg::to_param(4)});  // never prepared: the batch stopped before it
    c.queue("INSERT INTO q VALUES ($1, $2)", {pg::to_param(5), pg::to_param("five")});
    auto f = c.flush();
    REQUIRE(!f);
    CHECK(f.error().code == "db.constraint");  // the first failure, not what came after it
    CHECK(c.transaction_failed());
    CHECK(!tx.commit());
  }
  CHECK(c.healthy());
  auto bad = c.query("SELEKT $1", 4);  // its failed prepare was not cached either
  REQUIRE(!bad);
  CHECK(bad.error().code == "db.error");
  {
    auto tx = pg::transaction::begin(c).value();
    c.queue("INSERT INTO q VALUES ($1, $2)", {pg::to_param(6), pg::to_param("six")});
  }  // rolled back before anything was sent: nothing to send
  CHECK(c.queued() == 0);
  CHECK(c.healthy());
  auto all = c.query("SELECT n, s FROM q ORDER BY n").value();
  REQUIRE(all.size() == 2);
  CHECK(all.text(0, 1) == "uno");
  CHECK(all.int64(1, 0) == 2);

  // A transaction begun by a statement: BEGIN is held until something needs it, and an
  // empty one sends nothing at all.
  before = pg::round_trips();
  REQUIRE(c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  CHECK(c.in_transaction());
  CHECK(!c.healthy());
  REQUIRE(c.exec("COMMIT"));
  CHECK(pg::round_trips() == before);
  REQUIRE(c.exec("BEGIN"));
  REQUIRE(c.exec("INSERT INTO q VALUES (7, 'seven')"));
  CHECK(pg::round_trips() - before == 1);
  REQUIRE(c.exec("ROLLBACK"));
  CHECK(c.query("SELECT n FROM q WHERE n = 7").value().empty());

  // A READ ONLY transaction's COMMIT is sent without waiting; the next statement reads its
  // answer, and sees the data as it is now.
  auto other = pg::connection::open(url).value();
  before = pg::round_trips();
  REQUIRE(c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  CHECK(c.query("SELECT n FROM q").value().size() == 2);
  REQUIRE(c.exec("COMMIT"));
  CHECK(!c.in_transaction());
  CHECK(pg::round_trips() - before == 1);
  REQUIRE(other.query("INSERT INTO q VALUES ($1, $2)", 9, "nine"));
  CHECK(c.query("SELECT n FROM q").value().size() == 3);
  CHECK(c.healthy());
  REQUIRE(c.exec("BEGIN READ ONLY"));
  CHECK(c.query("SELECT n FROM q").value().size() == 3);
  REQUIRE(c.exec("COMMIT"));
  REQUIRE(c.exec("SET application_name = 'after_unread_commit'"));  // exec reads the answer first
  CHECK(c.healthy());
  CHECK(!c.query("INSERT INTO q VALUES ($1, $2)", 1, "dup"));  // errors still reach the caller

  // Given back with statements queued, a pooled connection is not lent again.
  auto p = pg::pool::open(url, {.max_size = 2, .wait = std::chrono::milliseconds(200)}).value();
  int pid = 0;
  {
    auto l = p.acquire().value();
    pid = l->backend_pid();
    REQUIRE(l->exec("BEGIN READ ONLY"));
    REQUIRE(l->query("SELECT 1"));
    REQUIRE(l->exec("COMMIT"));
  }
  CHECK(p.open_count() == 1);  // kept, not closed as if left mid-transaction
  {
    auto l = p.acquire().value();
    CHECK(l->backend_pid() == pid);
    CHECK(l->query("SELECT n FROM q WHERE n = 9").value().size() == 1);
    CHECK(!l->in_transaction());
  }
  {
    auto l = p.acquire().value();
    l->queue("INSERT INTO q VALUES ($1, $2)", {pg::to_param(8), pg::to_param("eight")});
  }
  CHECK(p.open_count() == 0);
  CHECK(c.query("SELECT n FROM q WHERE n = 8").value().empty());
}
