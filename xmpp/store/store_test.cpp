#include "xmpp/store/store.hpp"

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "tests/unit/test_database.hpp"

using namespace hearth::xmpp;

namespace {
// Every case runs on both engines: a temporary SQLite file, and a schema of its own in the
// PostgreSQL cluster the test runs in.
struct fixture {
  hearth::test_database t{GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres)};
  std::unique_ptr<store> s = store::open(t.target).value();
};
}  // namespace

TEST_CASE("store: roster versions, offline queue, archive paging") {
  fixture f;
  auto& st = *f.s;
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
}

TEST_CASE("store: concurrent archive writers share commits and lose no row") {
  fixture f;
  {
    auto& st = *f.s;
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
}

TEST_CASE("store: archive filters by time alone, duplicates ignored, removal and documents") {
  fixture f;
  auto& st = *f.s;
  for (int i = 0; i < 6; ++i)
    st.archive_add("a@x", {0, "s" + std::to_string(i), i < 3 ? "b@x" : "c@x", 1000 + i, "<m" + std::to_string(i) + "/>"});
  st.archive_add("a@x", {0, "s0", "b@x", 5000, "<again/>"});  // the same stanza id: kept once
  st.archive_add("z@x", {0, "s0", "b@x", 1000, "<other owner/>"});
  archive_query all;
  auto everything = st.archive_find("a@x", all);
  CHECK(everything.count == 6);
  CHECK(everything.complete);
  REQUIRE(everything.items.size() == 6);
  CHECK(everything.items[0].stanza == "<m0/>");
  // A time window without `with`, and one with both: the filters are numbered as they come.
  archive_query window;
  window.start_us = 1002;
  window.end_us = 1004;
  auto w = st.archive_find("a@x", window);
  REQUIRE(w.items.size() == 3);
  CHECK(w.items.front().stanza_id == "s2");
  CHECK(w.items.back().stanza_id == "s4");
  window.with = "c@x";
  CHECK(st.archive_find("a@x", window).count == 2);
  archive_query before;
  before.end_us = 1001;
  CHECK(st.archive_find("a@x", before).count == 2);

  roster_item r;
  r.contact = "b@x";
  r.name = "Bee";
  auto v1 = st.roster_put("a@x", r);
  r.name = "B";
  r.sub_from = true;
  r.groups = {};
  auto v2 = st.roster_put("a@x", r);
  CHECK(v2 == v1 + 1);
  auto got = st.roster_get("a@x", "b@x");
  REQUIRE(got);
  CHECK(got->name == "B");
  CHECK(got->subscription() == "from");
  CHECK(st.roster("a@x").size() == 1);
  CHECK(st.roster_remove("a@x", "b@x") == v2 + 1);
  CHECK(!st.roster_get("a@x", "b@x"));
  CHECK(st.roster_version("nobody@x") == 0);

  CHECK(!st.doc_get("a@x", "vcard"));
  st.doc_put("a@x", "vcard", "<vCard/>");
  st.doc_put("a@x", "vcard", "<vCard><FN>A</FN></vCard>");
  CHECK(st.doc_get("a@x", "vcard").value() == "<vCard><FN>A</FN></vCard>");

  st.pep_publish("a@x", "n1", {"i1", "<a/>"}, 0);
  st.pep_publish("a@x", "n1", {"i2", "<b/>"}, 0);
  st.pep_publish("a@x", "n1", {"i1", "<a2/>"}, 0);  // republished: the newest now
  st.pep_publish("a@x", "n0", {"x", "<x/>"}, 0);
  auto items = st.pep_items("a@x", "n1", 10);
  REQUIRE(items.size() == 2);
  CHECK(items[0].id == "i1");
  CHECK(items[0].payload == "<a2/>");
  CHECK(st.pep_nodes("a@x") == std::vector<std::string>{"n0", "n1"});
  CHECK(st.pep_retract("a@x", "n1", "i2"));
  CHECK(!st.pep_retract("a@x", "n1", "i2"));
  st.pep_delete_node("a@x", "n1");
  CHECK(st.pep_nodes("a@x") == std::vector<std::string>{"n0"});

  st.block("a@x", {"m@y", "m@y", "k@y"});
  CHECK(st.blocked("a@x") == std::vector<std::string>{"k@y", "m@y"});
  st.unblock("a@x", {"m@y"});
  CHECK(st.blocked("a@x") == std::vector<std::string>{"k@y"});
}

TEST_CASE("store: two stores on one database, as two nodes, share rosters and offline queues") {
  fixture f;
  auto other = store::open(f.t.target).value();
  constexpr int per_node = 10;
  std::atomic<int> failed{0};
  std::vector<std::thread> th;
  int node = 0;
  for (store* s : {f.s.get(), other.get()}) {
    th.emplace_back([s, node, &failed] {
      try {
        for (int i = 0; i < per_node; ++i) {
          roster_item r;
          r.contact = "n" + std::to_string(node) + "-" + std::to_string(i) + "@x";
          s->roster_put("a@x", r);
          if (!s->offline_push("a@x", "<message>" + r.contact + "</message>", 1000)) ++failed;
        }
      } catch (...) {
        ++failed;
      }
    });
    ++node;
  }
  for (auto& t : th) t.join();
  CHECK(failed == 0);
  // Every put moved the one version; both nodes read the same roster and version.
  CHECK(f.s->roster_version("a@x") == 2 * per_node);
  CHECK(other->roster_version("a@x") == 2 * per_node);
  CHECK(other->roster("a@x").size() == 2 * per_node);
  CHECK(f.s->offline_count("a@x") == 2 * per_node);
  // Popped once, on either node.
  auto popped = other->offline_pop("a@x");
  CHECK(popped.size() == 2 * per_node);
  CHECK(std::set<std::string>(popped.begin(), popped.end()).size() == 2 * per_node);
  CHECK(f.s->offline_pop("a@x").empty());
}
