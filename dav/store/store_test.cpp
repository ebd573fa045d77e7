#include "dav/store/store.hpp"

#include <atomic>
#include <set>
#include <thread>

#include "tests/unit/test_database.hpp"

using namespace hearth::dav;

namespace {
// Every case runs on both engines: a temporary SQLite file, and a schema of its own in the
// PostgreSQL cluster the test runs in.
struct fixture {
  hearth::test_database t{GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres)};
  std::unique_ptr<store> st = store::open(t.target).value();
};
}  // namespace

TEST_CASE("defaults, put with preconditions, UID conflicts, sync changes") {
  fixture f;
  auto& s = *f.st;
  REQUIRE(s.ensure_defaults("a@x.test"));
  REQUIRE(s.ensure_defaults("a@x.test"));
  auto cals = s.collections("a@x.test", kind::calendar);
  REQUIRE(cals);
  REQUIRE(cals->size() == 1);
  CHECK(cals->at(0).displayname == "Personal");
  auto books = s.collections("a@x.test", kind::addressbook);
  REQUIRE(books);
  REQUIRE(books->size() == 1);
  auto id = cals->at(0).id;

  new_object o{"e1.ics", "DATA1", "uid1", "VEVENT", 0, 10};
  auto p1 = s.put_object(id, o, std::nullopt, true);
  REQUIRE(p1);
  CHECK(p1->created);
  auto again = s.put_object(id, o, std::nullopt, true);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == "dav.precondition");
  o.data = "DATA2";
  CHECK(s.put_object(id, o, std::string("\"wrong\""), false).error().code == "dav.precondition");
  auto p2 = s.put_object(id, o, p1->obj.etag, false);
  REQUIRE(p2);
  CHECK_FALSE(p2->created);
  CHECK(p2->obj.etag != p1->obj.etag);
  new_object other{"e2.ics", "X", "uid1", "VEVENT", 0, 10};
  auto conflict = s.put_object(id, other, std::nullopt, false);
  REQUIRE_FALSE(conflict);
  CHECK(conflict.error().code == "dav.uid_conflict");
  CHECK(conflict.error().message == "e1.ics");

  auto all = s.changes_since(id, 0);
  REQUIRE(all);
  auto token = all->first;
  CHECK(all->second.size() == 1);
  CHECK_FALSE(all->second[0].deleted);
  REQUIRE(s.delete_object(id, "e1.ics", std::nullopt));
  auto inc = s.changes_since(id, token);
  REQUIRE(inc);
  REQUIRE(inc->second.size() == 1);
  CHECK(inc->second[0].deleted);
  CHECK(s.changes_since(id, inc->first + 5).error().code == "dav.token");
  auto range = s.objects_in_range(id, "VEVENT", 0, 100);
  REQUIRE(range);
  CHECK(range->empty());
}

TEST_CASE("copy_collection: properties, members, change log, replace, move") {
  fixture f;
  auto& s = *f.st;
  REQUIRE(s.ensure_defaults("a@x.test"));
  auto src = s.find_collection("a@x.test", kind::calendar, "personal");
  REQUIRE(src);
  REQUIRE(*src);
  auto col = **src;
  col.color = "#00FF00FF";
  col.dead["urn:x mine"] = "<x:mine xmlns:x=\"urn:x\">v</x:mine>";
  REQUIRE(s.update_collection(col));
  REQUIRE(s.put_object(col.id, {"a.ics", "A", "ua", "VEVENT", 0, 10}, std::nullopt, false));
  REQUIRE(s.put_object(col.id, {"b.ics", "B", "ub", "VEVENT", 0, 10}, std::nullopt, false));

  auto copy = s.copy_collection(col.id, "copy", true, false, std::nullopt);
  REQUIRE(copy);
  CHECK(copy->id != col.id);
  CHECK(copy->seq == 2);
  CHECK(copy->color == "#00FF00FF");
  CHECK(copy->dead.at("urn:x mine") == col.dead.at("urn:x mine"));
  auto objs = s.objects(copy->id, true);
  REQUIRE(objs);
  REQUIRE(objs->size() == 2);
  CHECK(objs->at(0).etag == etag_of("A"));
  auto ch = s.changes_since(copy->id, 0);
  REQUIRE(ch);
  CHECK(ch->first == 2);
  CHECK(ch->second.size() == 2);
  CHECK(s.copy_collection(col.id, "copy", true, false, std::nullopt).error().code == "dav.exists");

  // Depth 0 over the copy: properties only; the old id is gone, the source untouched.
  auto shallow = s.copy_collection(col.id, "copy", false, false, copy->id);
  REQUIRE(shallow);
  CHECK(shallow->seq == 0);
  CHECK(s.objects(shallow->id, false)->empty());
  CHECK(s.changes_since(copy->id, 0).error().code == "dav.not_found");
  CHECK(s.objects(col.id, false)->size() == 2);

  auto moved = s.copy_collection(col.id, "moved", true, true, std::nullopt);
  REQUIRE(moved);
  CHECK(!*s.find_collection("a@x.test", kind::calendar, "personal"));
  CHECK(s.objects(moved->id, false)->size() == 2);
}

TEST_CASE("apply_writes: puts and deletes across collections in one transaction") {
  fixture f;
  auto& s = *f.st;
  REQUIRE(s.ensure_defaults("a@x.test"));
  REQUIRE(s.ensure_defaults("b@x.test"));
  auto a = s.find_collection("a@x.test", kind::calendar, "personal");
  auto b = s.find_collection("b@x.test", kind::calendar, "personal");
  REQUIRE(a);
  REQUIRE(*a);
  REQUIRE(b);
  REQUIRE(*b);
  REQUIRE(s.put_object((*b)->id, new_object{"old.ics", "OLD", "u-old", "VEVENT", 0, 10}, std::nullopt, false));
  auto before = s.changes_since((*b)->id, 0);
  REQUIRE(before);

  std::vector<store::write> w(4);
  w[0].coll = (*a)->id;
  w[0].o = new_object{"m.ics", "A", "u1", "VEVENT", 0, 10};
  w[1].coll = (*b)->id;
  w[1].o = new_object{"m.ics", "B", "u1", "VEVENT", 0, 10};
  w[2].coll = (*b)->id;
  w[2].o = new_object{"clash.ics", "C", "u-old", "VEVENT", 0, 10};  // u-old belongs to old.ics
  w[3].coll = (*b)->id;
  w[3].erase = true;
  w[3].o.name = "missing.ics";
  auto r = s.apply_writes(w);
  REQUIRE(r);
  REQUIRE(r->size() == 4);
  CHECK(r->at(0) == store::write_status::done);
  CHECK(r->at(1) == store::write_status::done);
  CHECK(r->at(2) == store::write_status::uid_conflict);
  CHECK(r->at(3) == store::write_status::absent);
  auto ma = s.find_object((*a)->id, "m.ics", true);
  REQUIRE(ma);
  REQUIRE(*ma);
  CHECK((*ma)->data == "A");
  CHECK_FALSE(*s.find_object((*b)->id, "clash.ics", false));
  auto inc = s.changes_since((*b)->id, before->first);
  REQUIRE(inc);
  REQUIRE(inc->second.size() == 1);
  CHECK(inc->second[0].name == "m.ics");

  // A write into a collection that is gone undoes the whole batch.
  std::vector<store::write> bad(2);
  bad[0].coll = (*a)->id;
  bad[0].o = new_object{"n.ics", "N", "u2", "VEVENT", 0, 10};
  bad[1].coll = 999999;
  bad[1].o = new_object{"n.ics", "N", "u2", "VEVENT", 0, 10};
  auto rb = s.apply_writes(bad);
  REQUIRE_FALSE(rb);
  CHECK_FALSE(*s.find_object((*a)->id, "n.ics", false));

  std::vector<store::write> del(1);
  del[0].coll = (*b)->id;
  del[0].erase = true;
  del[0].o.name = "m.ics";
  auto rd = s.apply_writes(del);
  REQUIRE(rd);
  CHECK(rd->at(0) == store::write_status::done);
  CHECK_FALSE(*s.find_object((*b)->id, "m.ics", false));
}

TEST_CASE("objects: data byte for byte, sizes in octets, names in bytewise order") {
  fixture f;
  auto& s = *f.st;
  REQUIRE(s.ensure_defaults("a@x.test"));
  auto id = (*s.find_collection("a@x.test", kind::calendar, "personal").value()).id;
  // A backslash and non-ASCII text: neither may be read as an escape or counted as characters.
  const std::string body = "BEGIN:VCALENDAR\r\nSUMMARY:caf\xc3\xa9 \\n \\\\x41\r\nEND:VCALENDAR\r\n";
  for (const char* name : {"\xc3\xa9.ics", "a.ics", "B.ics"})
    REQUIRE(s.put_object(id, {name, body, std::string("u-") + name, "VEVENT", 0, 10}, std::nullopt, false));
  auto meta = s.objects(id, false);
  REQUIRE(meta);
  REQUIRE(meta->size() == 3);
  CHECK(meta->at(0).name == "B.ics");
  CHECK(meta->at(1).name == "a.ics");
  CHECK(meta->at(2).name == "\xc3\xa9.ics");
  CHECK(meta->at(0).size == static_cast<std::int64_t>(body.size()));
  CHECK(meta->at(0).data.empty());
  auto full = s.find_object(id, "a.ics", true);
  REQUIRE(full);
  REQUIRE(*full);
  CHECK((*full)->data == body);
  CHECK((*full)->etag == etag_of(body));
  CHECK((*full)->size == static_cast<std::int64_t>(body.size()));
  auto range = s.objects_in_range(id, "VEVENT", 5, 6);
  REQUIRE(range);
  REQUIRE(range->size() == 3);
  CHECK(range->at(2).data == body);
}

TEST_CASE("two stores on one database, as two nodes: one change log, distinct change numbers") {
  fixture f;
  auto other = store::open(f.t.target).value();
  // Both "nodes" see a new account at once: its defaults are made exactly once.
  {
    std::vector<std::thread> th;
    std::atomic<int> failed{0};
    for (store* s : {f.st.get(), other.get()})
      th.emplace_back([s, &failed] {
        if (!s->ensure_defaults("c@x.test")) ++failed;
      });
    for (auto& t : th) t.join();
    CHECK(failed == 0);
  }
  REQUIRE(f.st->collections("c@x.test", kind::calendar).value().size() == 1);
  REQUIRE(other->collections("c@x.test", kind::addressbook).value().size() == 1);
  const auto id = f.st->collections("c@x.test", kind::calendar).value().at(0).id;

  constexpr int per_node = 15;
  std::atomic<int> failed{0};
  std::vector<std::thread> th;
  int node = 0;
  for (store* s : {f.st.get(), other.get()}) {
    th.emplace_back([s, id, node, &failed] {
      for (int i = 0; i < per_node; ++i) {
        const std::string n = "n" + std::to_string(node) + "-" + std::to_string(i);
        if (!s->put_object(id, {n + ".ics", "D" + n, n, "VEVENT", 0, 10}, std::nullopt, true)) ++failed;
      }
    });
    ++node;
  }
  for (auto& t : th) t.join();
  CHECK(failed == 0);
  // Each node's view: every change, each with its own number, and the same token.
  for (store* s : {f.st.get(), other.get()}) {
    auto ch = s->changes_since(id, 0);
    REQUIRE(ch);
    CHECK(ch->first == 2 * per_node);
    REQUIRE(ch->second.size() == 2 * per_node);
    std::set<std::int64_t> seqs;
    for (auto& c : ch->second) seqs.insert(c.seq);
    CHECK(seqs.size() == 2 * per_node);
    CHECK(*seqs.begin() == 1);
    CHECK(*seqs.rbegin() == 2 * per_node);
    CHECK(s->find_collection("c@x.test", kind::calendar, "personal").value()->seq == 2 * per_node);
  }
  // A delete on one node is the next change on the other.
  REQUIRE(other->delete_object(id, "n0-0.ics", std::nullopt).value());
  auto inc = f.st->changes_since(id, 2 * per_node);
  REQUIRE(inc);
  CHECK(inc->first == 2 * per_node + 1);
  REQUIRE(inc->second.size() == 1);
  CHECK(inc->second[0].name == "n0-0.ics");
  CHECK(inc->second[0].deleted);
}
