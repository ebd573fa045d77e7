#include "xmpp/store/store.hpp"

#include <filesystem>
#include <thread>
#include <vector>

using namespace hearth::xmpp;

TEST_CASE("store: roster versions, offline queue, archive paging") {
  auto dir = std::filesystem::temp_directory_path() / ("xmpp-store-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto s = store::open(dir / "x.db");
  REQUIRE(s);
  auto& st = **s;
  roster_item r;
  r.contact = "b@x";
  r.groups = {"Friends", "Work"};
  auto v1 = st.roster_put("a@x", r);
  r.sub_to = true;
  auto v2 = st.roster_put("a@x", r);
  CHECK(v2 > v1);
  auto got = st.roster_get("a@x", "b@x");
  REQUIRE(got);
  CHECK(got->subscription() == "to");
  CHECK(got->groups.size() == 2);
  CHECK(st.roster_version("a@x") == v2);

  CHECK(st.offline_push("a@x", "<message>1</message>", 2));
  CHECK(st.offline_push("a@x", "<message>2</message>", 2));
  CHECK(!st.offline_push("a@x", "<message>3</message>", 2));
  auto q = st.offline_pop("a@x");
  REQUIRE(q.size() == 2);
  CHECK(q[0] == "<message>1</message>");
  CHECK(st.offline_pop("a@x").empty());

  for (int i = 0; i < 7; ++i)
    st.archive_add("a@x", {0, "id" + std::to_string(i), i % 2 ? "b@x" : "c@x", 1000 + i, "<message/>"});
  archive_query aq;
  aq.max = 3;
  auto p1 = st.archive_find("a@x", aq);
  REQUIRE(p1.items.size() == 3);
  CHECK(!p1.complete);
  CHECK(p1.count == 7);
  aq.after_id = p1.items.back().stanza_id;
  auto p2 = st.archive_find("a@x", aq);
  CHECK(p2.items.front().stanza_id == "id3");
  archive_query last;
  last.max = 2;
  last.before_id = "";
  auto p3 = st.archive_find("a@x", last);
  REQUIRE(p3.items.size() == 2);
  CHECK(p3.items.back().stanza_id == "id6");
  archive_query with;
  with.with = "b@x";
  CHECK(st.archive_find("a@x", with).items.size() == 3);

  st.pep_publish("a@x", "urn:xmpp:avatar:metadata", {"1", "<x/>"}, 1);
  st.pep_publish("a@x", "urn:xmpp:avatar:metadata", {"2", "<y/>"}, 1);
  auto items = st.pep_items("a@x", "urn:xmpp:avatar:metadata", 10);
  REQUIRE(items.size() == 1);
  CHECK(items[0].id == "2");

  st.block("a@x", {"spam@y", "z@y"});
  CHECK(st.blocked("a@x").size() == 2);
  st.unblock("a@x", {});
  CHECK(st.blocked("a@x").empty());
  std::filesystem::remove_all(dir);
}

TEST_CASE("store: concurrent archive writers share commits and lose no row") {
  auto dir = std::filesystem::temp_directory_path() / ("xmpp-store-gc-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    auto s = store::open(dir / "x.db");
    REQUIRE(s);
    auto& st = **s;
    std::vector<std::thread> th;
    for (int t = 0; t < 8; ++t)
      th.emplace_back([&st, t] {
        for (int i = 0; i < 25; ++i)
          st.archive_add("a@x", {0, "t" + std::to_string(t) + "-" + std::to_string(i), "b@x", 1000 + i, "<message/>"});
      });
    for (auto& t : th) t.join();
    archive_query aq;
    aq.max = 1000;
    auto page = st.archive_find("a@x", aq);
    CHECK(page.count == 200);
    CHECK(page.items.size() == 200);
  }
  std::filesystem::remove_all(dir);
}
