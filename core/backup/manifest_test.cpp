#include "core/backup/manifest.hpp"

#include <catch2/catch.hpp>

using namespace hearth::backup;

namespace {
const std::string sha_a(64, 'a');
const std::string sha_b(64, 'b');

manifest sample() {
  manifest m;
  m.snapshot = "20261206T140102Z";
  m.created = 1796565662;
  m.files.push_back({sha_a, 4096, "hearth.db"});
  m.files.push_back({sha_b, 12, "tls/dev ca.crt"});
  m.blobs.push_back({sha_a, 5120, ""});
  return m;
}
}  // namespace

TEST_CASE("a manifest survives format then parse") {
  auto text = format(sample());
  auto m = parse(text);
  REQUIRE(m);
  CHECK(m->snapshot == "20261206T140102Z");
  CHECK(m->created == 1796565662);
  REQUIRE(m->files.size() == 2);
  CHECK(m->files[1].path == "tls/dev ca.crt");
  CHECK(m->files[0].size == 4096);
  REQUIRE(m->blobs.size() == 1);
  CHECK(m->blobs[0].sha256 == sha_a);
}

TEST_CASE("an edited or truncated manifest is refused") {
  auto text = format(sample());
  SECTION("one digit of a size changed") {
    auto edited = text;
    edited.replace(edited.find("4096"), 4, "4097");
    CHECK(parse(edited).error().code == "backup.manifest");
  }
  SECTION("the end line missing") {
    auto cut = text.substr(0, text.find("end "));
    CHECK(!parse(cut));
  }
  SECTION("cut in the middle of a line") { CHECK(!parse(text.substr(0, text.size() / 2))); }
  SECTION("a line after the end") { CHECK(!parse(text + "blob " + sha_a + " 1\n")); }
  SECTION("empty") { CHECK(!parse("")); }
}

TEST_CASE("paths that would leave the restore folder are refused") {
  CHECK(valid_path("hearth.db"));
  CHECK(valid_path("queue/ab/cd"));
  CHECK_FALSE(valid_path("/etc/passwd"));
  CHECK_FALSE(valid_path("../x"));
  CHECK_FALSE(valid_path("a/../../x"));
  CHECK_FALSE(valid_path("a//b"));
  CHECK_FALSE(valid_path("a/"));
  CHECK_FALSE(valid_path("a/./b"));
  CHECK_FALSE(valid_path(std::string("a\nb")));
  auto m = sample();
  m.files[0].path = "../outside";
  CHECK(!parse(format(m)));
}

TEST_CASE("snapshot ids are plain names") {
  CHECK(valid_snapshot_id("20261206T140102Z"));
  CHECK(valid_snapshot_id("20261206T140102Z-2"));
  CHECK_FALSE(valid_snapshot_id(".."));
  CHECK_FALSE(valid_snapshot_id("a/b"));
  CHECK_FALSE(valid_snapshot_id(""));
}
