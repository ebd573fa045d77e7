#include "xmpp/modules/upload/store.hpp"

#include <vector>

#include "tests/unit/test_database.hpp"

using namespace hearth::xmpp::upload;

TEST_CASE("the upload store: one use per slot, quotas, expiry that frees unshared blobs") {
  hearth::test_database t{GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres)};
  INFO(hearth::engine_name(t.engine));
  auto st = open_store(t.target);
  REQUIRE(st);
  auto& s = **st;
  CHECK(s.add({"a1", "one.txt", "alice@x.test", "text/plain", 100, "blob-a", 1000}));
  CHECK_FALSE(s.add({"a1", "again.txt", "alice@x.test", "text/plain", 5, "blob-z", 1000}));
  CHECK(s.add({"a2", "two.txt", "alice@x.test", "text/plain", 50, "blob-b", 2000}));
  CHECK(s.add({"b1", "copy.txt", "bob@x.test", "text/plain", 100, "blob-a", 3000}));
  CHECK(s.used("alice@x.test") == 150);
  CHECK(s.used("bob@x.test") == 100);
  CHECK(s.used("carol@x.test") == 0);
  auto f = s.find("a2");
  REQUIRE(f);
  CHECK(f->filename == "two.txt");
  CHECK(f->blob == "blob-b");
  CHECK(f->size == 50);
  CHECK_FALSE(s.find("zz"));
  CHECK(s.blob_ids().size() == 2);

  std::vector<std::string> removed;
  // a1 and a2 are older than 2500: blob-b goes, blob-a stays (bob's copy still names it).
  CHECK(s.expire(2500, [&](const std::string& b) { removed.push_back(b); }) == 2);
  CHECK(removed == std::vector<std::string>{"blob-b"});
  CHECK(s.used("alice@x.test") == 0);
  CHECK_FALSE(s.find("a1"));
  CHECK(s.find("b1"));
  removed.clear();
  CHECK(s.expire(2500, [&](const std::string& b) { removed.push_back(b); }) == 0);
  CHECK(s.expire(4000, [&](const std::string& b) { removed.push_back(b); }) == 1);
  CHECK(removed == std::vector<std::string>{"blob-a"});
  CHECK(s.blob_ids().empty());
}

// The blob store is shared with mail: a file equal to a stored message names the message's blob,
// and expiring the file must leave it.
TEST_CASE("upload expiry keeps a blob a mail message also names") {
  hearth::test_database t{GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres)};
  INFO(hearth::engine_name(t.engine));
  {
    auto d = hearth::sql::open(t.target);
    REQUIRE(d);
    // The column the mail store's table has; the rest of its schema does not matter here.
    REQUIRE((*d)->get().exec("CREATE TABLE mail_messages(blob_id TEXT NOT NULL); INSERT INTO mail_messages VALUES('blob-m');"));
  }
  auto st = open_store(t.target);
  REQUIRE(st);
  auto& s = **st;
  CHECK(s.add({"m1", "saved.eml", "alice@x.test", "message/rfc822", 10, "blob-m", 1000}));
  CHECK(s.add({"f1", "photo.jpg", "alice@x.test", "image/jpeg", 10, "blob-f", 1000}));
  std::vector<std::string> removed;
  CHECK(s.expire(2000, [&](const std::string& b) { removed.push_back(b); }) == 2);
  CHECK(removed == std::vector<std::string>{"blob-f"});
}
