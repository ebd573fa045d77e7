#include "core/blob/store.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;
using hearth::blob::store;

namespace {

struct temp_root {
  fs::path dir;
  temp_root() {
    static int n = 0;
    dir = fs::temp_directory_path() / ("hearth-blob-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::remove_all(dir);
  }
  ~temp_root() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

std::size_t files_in(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return 0;
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

TEST_CASE("put and get round trip; the id is the SHA-256", "[blob]") {
  temp_root t;
  store s(t.dir);
  auto id = s.put("abc");
  REQUIRE(id);
  // FIPS 180-2 test vector for "abc".
  CHECK(*id == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(s.get(*id).value() == "abc");
  CHECK(s.exists(*id));
  CHECK(s.size_of(*id).value() == 3);
  // Really on disk, where path_of says, in ROOT/ab/cdef...
  auto p = s.path_of(*id).value();
  CHECK(p == t.dir / "ba" / id->substr(2));
  CHECK(read_file(p) == "abc");
  CHECK(files_in(t.dir / "tmp") == 0);

  std::string binary("\0\x01\xff\r\n", 5);
  auto bid = s.put(binary);
  REQUIRE(bid);
  CHECK(s.get(*bid).value() == binary);
}

TEST_CASE("same content, same id, one file", "[blob]") {
  temp_root t;
  store s(t.dir);
  auto a = s.put("hello world");
  auto b = s.put("hello world");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  CHECK(*a != s.put("hello world!").value());
  CHECK(files_in(t.dir / a->substr(0, 2)) == 1);
  CHECK(hearth::blob::id_of("hello world") == *a);
}

TEST_CASE("streaming writer: commit", "[blob]") {
  temp_root t;
  store s(t.dir);
  auto w = s.begin();
  REQUIRE(w);
  std::string whole;
  for (int i = 0; i < 1000; ++i) {
    std::string chunk = "line " + std::to_string(i) + "\r\n";
    REQUIRE(w->write(chunk));
    whole += chunk;
  }
  CHECK(w->size() == whole.size());
  CHECK(files_in(t.dir / "tmp") == 1);
  auto id = w->commit();
  REQUIRE(id);
  CHECK(*id == s.put(whole).value());
  CHECK(s.get(*id).value() == whole);
  CHECK(files_in(t.dir / "tmp") == 0);
  CHECK(w->write("more").error().code == "blob.state");
  CHECK(w->commit().error().code == "blob.state");

  // Committing content that is already stored keeps one copy and leaves no temp file.
  auto w2 = s.begin();
  REQUIRE(w2->write(whole));
  CHECK(w2->commit().value() == *id);
  CHECK(files_in(t.dir / "tmp") == 0);
}

TEST_CASE("streaming writer: abandoned without commit leaves nothing", "[blob]") {
  temp_root t;
  store s(t.dir);
  {
    auto w = s.begin();
    REQUIRE(w);
    REQUIRE(w->write("half a message"));
    CHECK(files_in(t.dir / "tmp") == 1);
  }
  CHECK(files_in(t.dir / "tmp") == 0);
  CHECK_FALSE(s.exists(hearth::blob::id_of("half a message")));

  // Moving a writer moves ownership of the temp file.
  auto w = s.begin();
  REQUIRE(w);
  hearth::blob::writer moved = std::move(*w);
  REQUIRE(moved.write("x"));
  CHECK(files_in(t.dir / "tmp") == 1);
  CHECK(moved.commit().value() == hearth::blob::id_of("x"));
  CHECK(files_in(t.dir / "tmp") == 0);
}

TEST_CASE("streaming writer: size limit", "[blob]") {
  temp_root t;
  store s(t.dir);
  auto exact = s.begin(10).value();
  REQUIRE(exact.write("01234"));
  REQUIRE(exact.write("56789"));
  CHECK(exact.commit().value() == hearth::blob::id_of("0123456789"));

  auto over = s.begin(10).value();
  REQUIRE(over.write("01234"));
  CHECK(over.write("567890").error().code == "blob.too_big");
  CHECK(files_in(t.dir / "tmp") == 0);
  CHECK(over.write("").error().code == "blob.state");
  CHECK_FALSE(s.exists(hearth::blob::id_of("01234567890")));
}

TEST_CASE("bad ids are rejected; no path escapes the root", "[blob]") {
  temp_root t;
  store s(t.dir);
  auto good = s.put("x").value();
  for (std::string bad : {std::string("../etc/passwd"), std::string(""), good.substr(1), good + "0",
                          std::string("../") + good.substr(3), std::string(64, 'g'),
                          [&] { auto u = good; u[0] = 'A'; return u; }(), std::string(64, '\0'),
                          std::string("..") + std::string(62, 'a')}) {
    CHECK_FALSE(hearth::blob::valid_id(bad));
    CHECK(s.get(bad).error().code == "blob.bad_id");
    CHECK(s.path_of(bad).error().code == "blob.bad_id");
    CHECK(s.remove(bad).error().code == "blob.bad_id");
    CHECK_FALSE(s.exists(bad));
  }
  CHECK(hearth::blob::valid_id(good));
}

TEST_CASE("missing blobs, remove, size limit", "[blob]") {
  temp_root t;
  store s(t.dir);
  auto missing = hearth::blob::id_of("never stored");
  CHECK(s.get(missing).error().code == "blob.not_found");
  CHECK(s.remove(missing).error().code == "blob.not_found");
  auto id = s.put(std::string(1000, 'z')).value();
  CHECK(s.get(id, 999).error().code == "blob.too_big");
  CHECK(s.get(id, 1000).value().size() == 1000);
  REQUIRE(s.remove(id));
  CHECK_FALSE(s.exists(id));
  CHECK_FALSE(fs::exists(t.dir / id.substr(0, 2) / id.substr(2)));
}

TEST_CASE("cleanup_temp removes leftovers of interrupted writes", "[blob]") {
  temp_root t;
  store s(t.dir);
  CHECK(s.cleanup_temp().value() == 0);
  auto w = s.begin();
  REQUIRE(w->write("interrupted"));
  // A crash leaves temp files behind: one live writer's file and one planted stale file stand in.
  auto stale = t.dir / "tmp" / "deadbeef.tmp";
  std::ofstream(stale) << "stale";
  CHECK(files_in(t.dir / "tmp") == 2);
  CHECK(s.cleanup_temp().value() == 2);
  CHECK(files_in(t.dir / "tmp") == 0);
}

TEST_CASE("cleanup_temp with a minimum age spares recent files (another node's live writes)", "[blob]") {
  temp_root t;
  store s(t.dir);
  auto w = s.begin();
  REQUIRE(w->write("live on another node"));
  auto stale = t.dir / "tmp" / "deadbeef.tmp";
  std::ofstream(stale) << "stale";
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(2));
  CHECK(files_in(t.dir / "tmp") == 2);
  CHECK(s.cleanup_temp(std::chrono::hours(1)).value() == 1);
  CHECK_FALSE(fs::exists(stale));
  CHECK(files_in(t.dir / "tmp") == 1);
  REQUIRE(w->write(", still writable"));
  CHECK(s.cleanup_temp().value() == 1);
}

TEST_CASE("unwritable root gives blob.io, not a crash", "[blob]") {
  store s("/proc/hearth-no-such-dir/blobs");
  CHECK(s.put("x").error().code == "blob.io");
  CHECK(s.begin().error().code == "blob.io");
}
