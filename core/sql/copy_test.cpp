#include "core/sql/copy.hpp"

#include <memory>

#include "tests/unit/test_database.hpp"

using namespace hearth;

namespace {

// The same SQLite DDL on both engines, as every store's migrations are.
constexpr sql::migration schema[] = {
    {1, "copy test", R"sql(
CREATE TABLE parent(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, score REAL, data BLOB, n INTEGER);
CREATE TABLE child(parent INTEGER NOT NULL REFERENCES parent(id), k TEXT NOT NULL, PRIMARY KEY(parent, k));
CREATE TABLE bag(a TEXT, b INTEGER);
)sql"},
};

struct side {
  test_database t;
  std::unique_ptr<sql::database> db;
  explicit side(sql::engine e) : t(e), db(sql::open_migrated(t.target, "copytest", schema).value()) {}
  sql::connection& c() { return db->get(); }
  sql::table_info info(const char* table) { return sql::describe_table(c(), table).value(); }
  std::vector<std::string> names(const char* table) {
    std::vector<std::string> out;
    for (const auto& col : info(table).columns) out.push_back(col.name);
    return out;
  }
  std::string digest(const char* table) { return sql::digest_table(c(), info(table), names(table)).value().sha256; }
};

// Rows that differ between engines if anything is encoded by the engine's own types: a NULL,
// a negative and a large integer, a double without a short decimal, text with a backslash,
// a quote, UTF-8 and a newline, bytes with a zero, and text that sorts differently by locale.
void fill(sql::connection& c, bool reversed) {
  const std::vector<std::uint8_t> bytes{0, 1, 0xff, '\\', 'x'};
  auto row = [&](int i) {
    switch (i) {
      case 0:
        c.query("INSERT INTO parent(id, name, score, data, n) VALUES(?1, ?2, ?3, ?4, ?5)", 3, "a\\b'c\nd é", 0.1, bytes,
                -9000000000000LL)
            .value();
        break;
      case 1: c.query("INSERT INTO parent(id, name, score, data, n) VALUES(5, 'B', NULL, NULL, NULL)").value(); break;
      case 2: c.query("INSERT INTO parent(id, name, score) VALUES(9, '_z', 1e300)").value(); break;
    }
  };
  for (int i = 0; i < 3; ++i) row(reversed ? 2 - i : i);
  for (const char* k : {"a", "B", "_b", "é"}) c.query("INSERT INTO child(parent, k) VALUES(3, ?1)", k).value();
  c.query("INSERT INTO bag(a, b) VALUES(NULL, 1), ('x', NULL), ('x', 2)").value();
}

}  // namespace

TEST_CASE("db copy: a table's digest is the same on SQLite and PostgreSQL for the same rows") {
  side lite(sql::engine::sqlite), pg(sql::engine::postgres);
  fill(lite.c(), false);
  fill(pg.c(), true);  // inserted in another order: the digest follows the primary key
  for (const char* t : {"parent", "child", "bag"}) {
    INFO(t);
    CHECK(lite.digest(t) == pg.digest(t));
    CHECK(lite.digest(t).size() == 64);
  }
  CHECK(lite.digest("parent") != lite.digest("child"));
  // One changed value changes it.
  auto before = pg.digest("parent");
  pg.c().query("UPDATE parent SET score = 0.1000000001 WHERE id = 3").value();
  CHECK(pg.digest("parent") != before);
  auto child = lite.digest("child");
  lite.c().query("UPDATE child SET k = 'b' WHERE k = 'B'").value();
  CHECK(lite.digest("child") != child);
}

TEST_CASE("db copy: the catalog of both engines, and foreign keys first") {
  auto e = GENERATE(sql::engine::sqlite, sql::engine::postgres);
  INFO(engine_name(e));
  side s(e);
  auto tables = sql::list_tables(s.c()).value();
  CHECK(std::find(tables.begin(), tables.end(), "parent") != tables.end());
  CHECK(std::find(tables.begin(), tables.end(), "schema_migrations") != tables.end());
  auto parent = s.info("parent");
  REQUIRE(parent.columns.size() == 5);
  CHECK(parent.columns[1].name == "name");
  CHECK(parent.columns[1].cls == sql::column_class::text);
  CHECK(parent.columns[2].cls == sql::column_class::real);
  CHECK(parent.columns[3].cls == sql::column_class::blob);
  CHECK(parent.columns[4].cls == sql::column_class::integer);
  CHECK(parent.id_column == std::optional<std::string>("id"));
  auto child = s.info("child");
  CHECK(child.primary_key == std::vector<std::string>{"parent", "k"});
  CHECK(child.references == std::vector<std::string>{"parent"});
  CHECK_FALSE(child.id_column);
  std::vector<sql::table_info> all{child, s.info("bag"), parent};
  auto order = sql::in_dependency_order(all);
  REQUIRE(order.size() == 3);
  CHECK(order[0]->name == "bag");
  CHECK(order[1]->name == "parent");
  CHECK(order[2]->name == "child");
}

TEST_CASE("db copy: rows and ids go to the other engine and back unchanged") {
  side lite(sql::engine::sqlite), pg(sql::engine::postgres), back(sql::engine::sqlite);
  fill(lite.c(), false);
  // The highest id was handed out and its row deleted: the copy must not hand it out again.
  lite.c().query("INSERT INTO parent(id, name) VALUES(20, 'gone')").value();
  lite.c().query("DELETE FROM parent WHERE id = 20").value();
  for (auto [from, to] : {std::pair{&lite, &pg}, std::pair{&pg, &back}}) {
    for (const char* t : {"parent", "child", "bag"}) {
      auto n = sql::copy_rows(from->c(), from->info(t), to->c(), to->info(t), from->names(t), 2);
      REQUIRE(n);
      CHECK(*n == sql::digest_table(from->c(), from->info(t), from->names(t)).value().rows);
      CHECK(from->digest(t) == to->digest(t));
    }
    auto hw = sql::id_high_water(from->c(), from->info("parent")).value();
    CHECK(hw == std::optional<std::int64_t>(20));
    REQUIRE(sql::set_id_high_water(to->c(), to->info("parent"), *hw));
  }
  for (auto* s : {&pg, &back}) {
    auto id = s->c().query_int("INSERT INTO parent(name) VALUES('new') RETURNING id").value();
    CHECK(id == std::optional<std::int64_t>(21));
  }
}
