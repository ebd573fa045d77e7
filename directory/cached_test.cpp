// The remembering directory: what it remembers, and each way it forgets.
#include "directory/cached.hpp"

#include <catch2/catch.hpp>

#include "core/events/bus.hpp"
#include "core/sql/sql.hpp"
#include "tests/unit/test_database.hpp"

using namespace hearth;
using namespace hearth::directory;

namespace {

stored_credentials creds(std::string tag) { return {"$argon2id$v=19$" + tag, "i=4096,s=" + tag, "i=4096,t=" + tag}; }

using strings = std::vector<std::string>;

}  // namespace

TEST_CASE("cached directory: remembers lookups, forgets on its own changes and on the bus") {
  test_database t(sql::engine::sqlite);
  auto inner = directory::directory::open(t.target).value();
  REQUIRE(inner->add_domain("home.test"));
  REQUIRE(inner->add_account("a@home.test", creds("a")));
  events::bus bus;
  auto d = make_cached(*inner, &bus, {64, std::chrono::hours(1)});

  CHECK(d->resolve("info@home.test").empty());
  CHECK(d->is_local_domain("home.test"));
  CHECK(d->find_account("a@home.test"));

  // Behind its back (another process): the remembered answers stay until they are too old.
  REQUIRE(inner->add_alias("info@home.test", {"a@home.test"}));
  CHECK(d->resolve("info@home.test").empty());
  CHECK(inner->resolve("info@home.test") == strings{"a@home.test"});

  // Another node's change arrives on the bus: forgotten.
  bus.publish({"directory.changed", "", ""});
  CHECK(d->resolve("info@home.test") == strings{"a@home.test"});

  // Its own change: forgotten at once, and announced to the others.
  std::size_t heard = 0;
  auto sub = bus.subscribe("directory.changed", [&](const events::event&) { ++heard; });
  REQUIRE(d->remove_account("a@home.test"));
  CHECK(heard == 1);
  CHECK_FALSE(d->find_account("a@home.test"));
  CHECK(d->resolve("info@home.test").empty());
  REQUIRE(d->remove_domain("home.test"));
  CHECK_FALSE(d->is_local_domain("home.test"));
}

TEST_CASE("cached directory: bounded in age and size") {
  test_database t(sql::engine::sqlite);
  auto inner = directory::directory::open(t.target).value();
  REQUIRE(inner->add_domain("home.test"));

  // No age allowed, or no entries: every lookup asks again.
  auto fresh = make_cached(*inner, nullptr, {64, std::chrono::milliseconds(0)});
  auto through = make_cached(*inner, nullptr, {0, std::chrono::hours(1)});
  CHECK_FALSE(fresh->find_account("b@home.test"));
  CHECK_FALSE(through->find_account("b@home.test"));
  REQUIRE(inner->add_account("b@home.test", creds("b")));
  CHECK(fresh->find_account("b@home.test"));
  CHECK(through->find_account("b@home.test"));

  // A full cache starts again: the first answer is gone after two others.
  auto small = make_cached(*inner, nullptr, {2, std::chrono::hours(1)});
  CHECK_FALSE(small->find_account("c@home.test"));
  REQUIRE(inner->add_account("c@home.test", creds("c")));
  CHECK_FALSE(small->find_account("c@home.test"));  // remembered
  CHECK(small->find_account("b@home.test"));
  CHECK_FALSE(small->find_account("x@home.test"));  // the third entry empties the cache
  CHECK(small->find_account("c@home.test"));
}
