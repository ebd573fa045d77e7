// The PostgreSQL pool behind sql::database (pool.hpp), against the cluster CTest starts
// (tests/e2e/lib/pg_cluster.py). SQLite keeps a handle per thread and has no pool: these cases
// are PostgreSQL's only.
#include "core/sql/pool.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "core/sql/sql.hpp"
#include "tests/unit/test_database.hpp"

using namespace hearth;

namespace {

// A target whose connections carry their own application_name, so pg_stat_activity counts
// exactly this case's connections, whatever else the cluster serves.
std::string tagged(const test_database& t, const std::string& app) { return t.target + " application_name=" + app; }

std::int64_t backends(const std::string& app) {
  auto admin = sql::open(std::getenv("HEARTH_TEST_PG_URL")).value();
  return admin->get().query_int("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?1", app).value().value_or(-1);
}

struct pool_size_guard {
  explicit pool_size_guard(sql::pool_options o) { sql::configure_pool(o); }
  ~pool_size_guard() { sql::configure_pool({}); }
};

}  // namespace

TEST_CASE("sql pool: many threads and stores never hold more than the pool's connections") {
  test_database t(sql::engine::postgres);
  pool_size_guard g({.size = 3, .wait = std::chrono::seconds(20)});
  const auto target = tagged(t, "hearth_pool_bound");
  // Two stores on one target share one pool.
  auto a = sql::open(target).value();
  auto b = sql::open(target).value();
  REQUIRE(a->get().exec("CREATE TABLE hits (n INTEGER)").has_value());

  std::atomic<int> failures{0}, peak{0};
  std::atomic<bool> stop{false};
  // Watches the server side while the workers run: the pool's own count could lie.
  std::thread watcher([&] {
    while (!stop) {
      int n = static_cast<int>(backends("hearth_pool_bound"));
      if (n > peak) peak = n;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w)
    workers.emplace_back([&, w] {
      auto& db = (w % 2 ? *a : *b);
      for (int i = 0; i < 10; ++i) {
        auto& c = db.get();
        auto tx = sql::transaction::begin(c);
        if (!tx || !c.query("INSERT INTO hits VALUES (?1)", w) || !c.query("SELECT pg_sleep(0.005)") || !tx->commit())
          ++failures;
        if (!c.query("SELECT count(*) FROM hits")) ++failures;
      }
    });
  for (auto& w : workers) w.join();
  stop = true;
  watcher.join();

  CHECK(failures == 0);
  CHECK(a->get().query_int("SELECT count(*) FROM hits").value().value_or(-1) == 80);
  CHECK(peak >= 1);
  CHECK(peak <= 3);
  CHECK(sql::pool_open_count(target) <= 3);
  CHECK(backends("hearth_pool_bound") <= 3);
}

TEST_CASE("sql pool: exhausted, a borrower waits, then gets a clear db.busy") {
  test_database t(sql::engine::postgres);
  pool_size_guard g({.size = 2, .wait = std::chrono::milliseconds(300)});
  auto db = sql::open(tagged(t, "hearth_pool_busy")).value();
  // Two threads each hold a transaction open (the second waits on the first's write lock, but
  // holds its connection while it waits): the pool's two connections are lent.
  std::atomic<int> started{0};
  std::atomic<bool> release{false};
  std::vector<std::thread> holders;
  for (int i = 0; i < 2; ++i)
    holders.emplace_back([&] {
      auto& c = db->get();
      ++started;
      auto tx = sql::transaction::begin(c);
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    });
  // Until both have borrowed; bounded in count.
  for (int i = 0; i < 400 && sql::pool_open_count(tagged(t, "hearth_pool_busy")) < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(sql::pool_open_count(tagged(t, "hearth_pool_busy")) == 2);
  for (int i = 0; i < 400 && backends("hearth_pool_busy") < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto r = db->get().query("SELECT 1");
  release = true;
  for (auto& h : holders) h.join();
  REQUIRE(!r);
  CHECK(r.error().code == "db.busy");
  CHECK(r.error().message.find("pooled connections are in use") != std::string::npos);
  // Given back, they serve again.
  CHECK(db->get().query_int("SELECT 1").value().value_or(-1) == 1);
}

TEST_CASE("sql pool: a backend the server terminated is replaced; prepared statements stay per connection") {
  test_database t(sql::engine::postgres);
  pool_size_guard g({.size = 1, .wait = std::chrono::seconds(5)});
  auto db = sql::open(tagged(t, "hearth_pool_kill")).value();
  auto& c = db->get();
  const std::string_view probe = "SELECT pg_backend_pid() + 0 * ?1";
  auto pid1 = c.query_int(probe, 1).value().value();
  // The same statement again on the same (only) connection: still prepared, not parsed again.
  CHECK(c.query_int(probe, 2).value().value() == pid1);
  auto prepared = c.query_int("SELECT count(*) FROM pg_prepared_statements WHERE statement = ?1",
                              std::string(sql::postgres_placeholders(probe)));
  CHECK(prepared.value().value() == 1);

  auto admin = sql::open(std::getenv("HEARTH_TEST_PG_URL")).value();
  REQUIRE(admin->get().query_int("SELECT pg_terminate_backend(?1)", pid1).value().value_or(0) == 1);
  // Until the server has ended it (bounded).
  for (int i = 0; i < 200; ++i) {
    auto n = admin->get().query_int("SELECT count(*) FROM pg_stat_activity WHERE pid = ?1", pid1).value();
    if (n.value_or(0) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto pid2 = c.query_int(probe, 3);
  INFO((pid2 ? std::string() : pid2.error().code + ": " + pid2.error().message));
  REQUIRE(pid2.has_value());
  CHECK(pid2->value() != pid1);
  CHECK(sql::pool_open_count(tagged(t, "hearth_pool_kill")) == 1);
  // A transaction works on the replacement too.
  auto tx = sql::transaction::begin(c);
  REQUIRE(tx.has_value());
  CHECK(c.query_int(probe, 4).value().value() == pid2->value());
  CHECK(tx->commit().has_value());
}

TEST_CASE("sql pool: a transaction begun by a statement keeps its connection until it ends") {
  test_database t(sql::engine::postgres);
  pool_size_guard g({.size = 2, .wait = std::chrono::seconds(20)});
  const auto target = tagged(t, "hearth_pool_stmt_tx");
  auto db = sql::open(target).value();
  auto& c = db->get();
  REQUIRE(c.exec("CREATE TABLE seen (n INTEGER)").has_value());
  auto pid = [&] { return c.query_int("SELECT pg_backend_pid()").value().value_or(-1); };

  // The mail store's read snapshot: every statement up to COMMIT on one server connection,
  // inside the transaction, and the connection lent again afterwards, not closed.
  REQUIRE(c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").has_value());
  CHECK(c.in_transaction());
  auto first = pid();
  CHECK(pid() == first);
  CHECK(c.query_int("SELECT count(*) FROM pg_stat_activity WHERE pid = pg_backend_pid() AND xact_start IS NOT NULL")
            .value()
            .value_or(-1) == 1);
  // Another thread writes meanwhile: the snapshot does not see it.
  std::thread([&] { REQUIRE(db->get().exec("INSERT INTO seen VALUES (1)").has_value()); }).join();
  CHECK(c.query_int("SELECT count(*) FROM seen").value().value_or(-1) == 0);
  REQUIRE(c.exec("COMMIT").has_value());
  CHECK(!c.in_transaction());
  CHECK(c.query_int("SELECT count(*) FROM seen").value().value_or(-1) == 1);
  // The pool kept both connections: no new session was opened for the statements above.
  CHECK(sql::pool_open_count(target) <= 2);
  auto sessions = [&] {
    return c.query_int("SELECT sessions FROM pg_stat_database WHERE datname = current_database()").value().value_or(-1);
  };
  auto before = sessions();
  for (int i = 0; i < 5; ++i) {
    REQUIRE(c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").has_value());
    REQUIRE(c.query_int("SELECT count(*) FROM seen").has_value());
    REQUIRE(c.exec("COMMIT").has_value());
  }
  CHECK(sessions() == before);

  // A rollback() ends such a transaction too.
  REQUIRE(c.exec("BEGIN").has_value());
  c.rollback();
  CHECK(!c.in_transaction());
  CHECK(c.query_int("SELECT 1").value().value_or(-1) == 1);
}
