// The database tier of the blob store, on both engines (tests/unit/test_database.hpp).
#include "core/blob/db_store.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/blob/reader.hpp"
#include "core/blob/sql_rows.hpp"
#include "core/blob/store.hpp"
#include "tests/unit/test_database.hpp"

namespace fs = std::filesystem;
using namespace hearth;

namespace {

struct temp_dir {
  fs::path dir;
  temp_dir() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("hearth-blobdb-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

// Blob files under ROOT (not counting ROOT/tmp).
std::size_t blob_files(const fs::path& root) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file() && it->path().parent_path().filename() != "tmp") ++n;
  return n;
}

// Bytes that are not UTF-8 and contain NULs: they must come back unchanged on both engines.
std::string binary(std::size_t n, unsigned seed) {
  std::mt19937 g(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(g() & 0xff);
  return s;
}

}  // namespace

TEST_CASE("db_store: put, get, size, head, ids, remove") {
  test_database db(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  INFO(engine_name(db.engine));
  auto t = blob::db_store::open(db.target).value();
  const std::string small = binary(1000, 1);
  const std::string big = binary(blob::sql_rows::part_bytes * 2 + 17, 2);  // three parts
  const auto sid = blob::id_of(small), bid = blob::id_of(big);
  CHECK_FALSE(t->get(sid, 1 << 30).value().has_value());
  CHECK_FALSE(t->size_of(sid).value().has_value());
  REQUIRE(t->put(sid, small));
  REQUIRE(t->put(bid, big));
  REQUIRE(t->put(sid, small));  // content addressing: a second put changes nothing
  CHECK(t->get(sid, 1 << 30).value().value() == small);
  CHECK(t->get(bid, 1 << 30).value().value() == big);
  CHECK(t->size_of(bid).value().value() == big.size());
  CHECK(t->head(bid, 10).value().value() == big.substr(0, 10));
  CHECK(t->head(bid, blob::sql_rows::part_bytes + 5).value().value() == big.substr(0, blob::sql_rows::part_bytes + 5));
  CHECK(t->head(sid, 1 << 20).value().value() == small);
  CHECK(t->get(bid, 100).error().code == "blob.too_big");
  auto ids = t->ids().value();
  std::vector<std::string> want{sid, bid};
  std::sort(want.begin(), want.end());
  CHECK(ids == want);
  CHECK(t->remove(bid).value());
  CHECK_FALSE(t->remove(bid).value());
  CHECK_FALSE(t->get(bid, 1 << 30).value().has_value());
  CHECK(t->ids().value() == std::vector<std::string>{sid});
  // The empty blob is a blob too.
  const auto eid = blob::id_of("");
  REQUIRE(t->put(eid, ""));
  CHECK(t->get(eid, 10).value().value().empty());
  CHECK(t->size_of(eid).value().value() == 0);
}

TEST_CASE("db_store: rows written in a caller's transaction go with it") {
  test_database db(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  INFO(engine_name(db.engine));
  auto t = blob::db_store::open(db.target).value();
  auto conn = sql::open(db.target).value();
  auto& c = conn->get();
  const std::string data = "kept with the row";
  const auto id = blob::id_of(data);
  {
    auto tx = sql::transaction::begin(c).value();
    REQUIRE(blob::sql_rows::insert(c, id, data));
    CHECK(blob::sql_rows::size_of(c, id).value().value() == data.size());
  }  // rolled back
  CHECK_FALSE(t->size_of(id).value().has_value());
  {
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    REQUIRE(blob::sql_rows::insert(c, id, data));
    REQUIRE(blob::sql_rows::insert(c, id, data));  // twice: still one blob
    REQUIRE(tx.commit());
  }
  CHECK(t->get(id, 100).value().value() == data);
  CHECK(t->ids().value().size() == 1);
}

TEST_CASE("db_store: parts written under the first schema survive its upgrade") {
  test_database db(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  INFO(engine_name(db.engine));
  const std::string small = binary(900, 7);
  const std::string big = binary(blob::sql_rows::part_bytes + 5, 8);  // two parts
  const auto sid = blob::id_of(small), bid = blob::id_of(big);
  {
    auto conn = sql::open(db.target).value();
    auto& c = conn->get();
    REQUIRE(sql::migrate(c, blob::sql_rows::component, blob::sql_rows::migrations().first(1)).value() == 1);
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    REQUIRE(blob::sql_rows::insert(c, sid, small));
    REQUIRE(blob::sql_rows::insert(c, bid, big));
    REQUIRE(tx.commit());
  }
  auto t = blob::db_store::open(db.target).value();
  CHECK(t->get(sid, 10000).value().value() == small);
  CHECK(t->get(bid, big.size()).value().value() == big);
  CHECK(t->ids().value().size() == 2);
  // The key is still unique after the upgrade: a second insert of a part is ignored, and one
  // that would bypass ON CONFLICT is refused.
  auto conn = sql::open(db.target).value();
  auto& c = conn->get();
  {
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    REQUIRE(blob::sql_rows::insert(c, sid, small));
    REQUIRE(tx.commit());
  }
  CHECK(t->ids().value().size() == 2);
  CHECK_FALSE(c.query("INSERT INTO blob_parts(id, part, size, data) VALUES(?1, 0, 1, ?2)", sid, std::string("x")));
  CHECK(t->get(sid, 10000).value().value() == small);
}

TEST_CASE("blob store with a database tier: small content in the database, large in files") {
  test_database db(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  INFO(engine_name(db.engine));
  temp_dir d;
  blob::store s(d.dir / "blobs");
  // A file written before the tier existed stays readable.
  const std::string old = "an old blob, in a file";
  auto old_id = s.put(old).value();
  CHECK(blob_files(d.dir / "blobs") == 1);
  s.attach(blob::db_store::open(db.target).value(), {100, false});
  CHECK(s.inline_limit() == 100);
  CHECK(s.get(old_id).value() == old);

  const std::string small = binary(100, 3), large = binary(101, 4);
  auto sid = s.put(small).value();
  auto lid = s.put(large).value();
  CHECK(blob_files(d.dir / "blobs") == 2);  // the old one and the large one
  CHECK(s.database()->size_of(sid).value().value() == 100);
  CHECK_FALSE(s.database()->size_of(lid).value().has_value());
  CHECK(s.get(sid).value() == small);
  CHECK(s.get(lid).value() == large);
  CHECK(s.head(sid, 7).value() == small.substr(0, 7));
  CHECK(s.head(lid, 7).value() == large.substr(0, 7));
  CHECK(s.exists(sid));
  CHECK(s.size_of(sid).value() == 100);
  CHECK(s.get(sid, 50).error().code == "blob.too_big");

  // A streaming write goes where its final size says.
  auto w = s.begin().value();
  REQUIRE(w.write(small.substr(0, 60)));
  REQUIRE(w.write(small.substr(60)));
  CHECK(w.commit().value() == sid);
  auto w2 = s.begin().value();
  const std::string other = binary(80, 5);
  REQUIRE(w2.write(other));
  auto oid = w2.commit().value();
  CHECK(s.database()->get(oid, 1000).value().value() == other);
  CHECK(blob_files(d.dir / "blobs") == 2);
  CHECK(s.cleanup_temp().value() == 0);  // the writer's buffer file is gone

  REQUIRE(s.remove(sid));
  CHECK_FALSE(s.exists(sid));
  CHECK(s.remove(sid).error().code == "blob.not_found");
  CHECK(s.get(sid).error().code == "blob.not_found");
  REQUIRE(s.remove(lid));
  CHECK_FALSE(s.exists(lid));
}

TEST_CASE("blob store with every blob in the database") {
  test_database db(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  INFO(engine_name(db.engine));
  temp_dir d;
  blob::store s(d.dir / "blobs");
  s.attach(blob::db_store::open(db.target).value(), {0, true});
  const std::string big = binary(blob::sql_rows::part_bytes + 3, 6);
  auto w = s.begin().value();
  for (std::size_t i = 0; i < big.size(); i += 4096) REQUIRE(w.write(std::string_view(big).substr(i, 4096)));
  auto id = w.commit().value();
  CHECK(id == blob::id_of(big));
  CHECK(blob_files(d.dir / "blobs") == 0);
  CHECK(s.get(id).value() == big);
  CHECK(s.size_of(id).value() == big.size());
  auto pid = s.put("x").value();
  CHECK(blob_files(d.dir / "blobs") == 0);
  CHECK(s.get(pid).value() == "x");
}

TEST_CASE("streaming writer into the database: parts, dedup, abandon, size limit") {
  test_database db(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  INFO(engine_name(db.engine));
  temp_dir d;
  blob::store s(d.dir / "blobs");
  s.attach(blob::db_store::open(db.target).value(), {0, true});
  auto conn = sql::open(db.target).value();
  auto parts = [&] { return conn->get().query_int("SELECT COUNT(*) FROM blob_parts").value().value(); };
  // Three parts, written in pieces that do not line up with them.
  const std::string big = binary(blob::sql_rows::part_bytes * 2 + 5, 7);
  auto write_in_pieces = [&](blob::writer& w) {
    for (std::size_t i = 0; i < big.size(); i += 300000) REQUIRE(w.write(std::string_view(big).substr(i, 300000)));
  };
  auto w = s.begin(big.size()).value();
  write_in_pieces(w);
  const auto id = w.commit().value();
  CHECK(id == blob::id_of(big));
  CHECK(parts() == 3);
  CHECK(s.get(id).value() == big);

  // The same content again: the same id, no second copy, no temp file left.
  auto again = s.begin().value();
  write_in_pieces(again);
  CHECK(again.commit().value() == id);
  CHECK(parts() == 3);
  CHECK(s.database()->ids().value() == std::vector<std::string>{id});
  CHECK(s.cleanup_temp().value() == 0);

  // Abandoned (a client that went away mid-literal): no row, no file.
  {
    auto half = s.begin().value();
    REQUIRE(half.write(big.substr(0, 1000)));
  }
  CHECK(parts() == 3);
  CHECK(s.cleanup_temp().value() == 0);
  CHECK(blob_files(d.dir / "blobs") == 0);

  // Over the limit: refused at the write that passes it, the temp file gone at once.
  auto small = s.begin(1000).value();
  REQUIRE(small.write(big.substr(0, 600)));
  CHECK(small.write(big.substr(600, 401)).error().code == "blob.too_big");
  CHECK(s.cleanup_temp().value() == 0);
  CHECK(small.write("x").error().code == "blob.state");
  CHECK(small.commit().error().code == "blob.state");
  CHECK(parts() == 3);
}

TEST_CASE("blob reader: ranges across parts, the last partial part, the empty blob, a missing part") {
  test_database db(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  INFO(engine_name(db.engine));
  temp_dir d;
  blob::store s(d.dir / "blobs");
  s.attach(blob::db_store::open(db.target).value(), {0, true});
  constexpr std::uint64_t P = blob::sql_rows::part_bytes;
  const std::string big = binary(P * 2 + 17, 7);  // two whole parts and a last one of 17
  const auto id = s.put(big).value();
  CHECK(blob_files(d.dir / "blobs") == 0);
  auto r = blob::open_reader(s, id).value();
  CHECK(r->size() == big.size());
  CHECK(r->read(0, 10).value() == big.substr(0, 10));
  CHECK(r->read(P, 5).value() == big.substr(P, 5));              // offset at a part's first octet
  CHECK(r->read(P - 3, 6).value() == big.substr(P - 3, 6));      // across a part edge
  CHECK(r->read(P - 1, 1).value() == big.substr(P - 1, 1));      // a part's last octet
  CHECK(r->read(2 * P, 100).value() == big.substr(2 * P));       // the last, partial part
  CHECK(r->read(big.size() - 1, 9).value() == big.substr(big.size() - 1));
  CHECK(r->read(big.size(), 9).value().empty());
  CHECK(r->read(big.size() + 100, 9).value().empty());
  CHECK(r->read(1, big.size()).value() == big.substr(1));        // every part, in one read
  std::string joined;
  for (std::uint64_t at = 0; at < r->size();) {
    auto piece = r->read(at, 300 * 1024).value();
    REQUIRE(!piece.empty());
    at += piece.size();
    joined += piece;
  }
  CHECK(joined == big);

  const auto eid = s.put("").value();
  auto e = blob::open_reader(s, eid).value();
  CHECK(e->size() == 0);
  CHECK(e->read(0, 10).value().empty());

  CHECK(blob::open_reader(s, blob::id_of("absent")).error().code == "blob.not_found");
  CHECK(blob::open_reader(s, "../etc/passwd").error().code == "blob.bad_id");

  // A damaged table: the middle part gone. Reads before it still work; reaching it is an
  // error, never a short body.
  auto conn = sql::open(db.target).value();
  REQUIRE(conn->get().query("DELETE FROM blob_parts WHERE id = ?1 AND part = 1", id));
  auto damaged = blob::open_reader(s, id).value();
  CHECK(damaged->read(0, 100).value() == big.substr(0, 100));
  auto err = damaged->read(P - 10, 20);
  REQUIRE_FALSE(err);
  CHECK(err.error().code == "blob.missing_part");
  CHECK(err.error().message.find("part 1") != std::string::npos);
  CHECK(damaged->read(2 * P, 5).value() == big.substr(2 * P, 5));
}

TEST_CASE("blob reader over a file") {
  temp_dir d;
  blob::store s(d.dir / "blobs");
  const std::string data = binary(300 * 1024 + 5, 8);
  const auto id = s.put(data).value();
  auto r = blob::open_reader(s, id).value();
  CHECK(r->size() == data.size());
  CHECK(r->read(0, 7).value() == data.substr(0, 7));
  CHECK(r->read(100000, 200000).value() == data.substr(100000, 200000));
  CHECK(r->read(data.size() - 2, 10).value() == data.substr(data.size() - 2));
  CHECK(r->read(data.size(), 10).value().empty());
  CHECK(blob::open_reader(s, blob::id_of("nothing")).error().code == "blob.not_found");
}
