#include "dav/store/store.hpp"

#include <filesystem>
#include <random>

using namespace hearth::dav;

namespace {
std::filesystem::path temp_db() {
  auto dir = std::filesystem::temp_directory_path() / ("hearth-dav-test-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  return dir / "hearth.db";
}
}  // namespace

TEST_CASE("defaults, put with preconditions, UID conflicts, sync changes") {
  auto path = temp_db();
  auto st = store::open(path);
  REQUIRE(st);
  auto& s = **st;
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
  std::filesystem::remove_all(path.parent_path());
}
