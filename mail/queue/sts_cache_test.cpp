#include "mail/queue/sts_cache.hpp"

#include <catch2/catch.hpp>

#include "tests/unit/test_database.hpp"

using namespace hearth::mail::queue;

TEST_CASE("MTA-STS policy cache: put, get, replace, reopen", "[queue][sts][store]") {
  hearth::test_database t(GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres));
  INFO(hearth::engine_name(t.engine));
  auto c = open_sts_cache(t.target).value();
  CHECK_FALSE(c->get("b.test").value().has_value());

  sts_policy p;
  p.mode = sts_mode::enforce;
  p.mx = {"mx1.b.test", "*.mx.b.test"};
  p.max_age = 86400;
  p.id = "20261206";
  p.fetched = 1'700'000'000;
  REQUIRE(c->put("b.test", p).has_value());
  sts_policy q;
  q.mode = sts_mode::testing;
  q.max_age = 600;
  q.id = "c1";
  q.fetched = 5;
  REQUIRE(c->put("c.test", q).has_value());

  auto g = c->get("b.test").value();
  REQUIRE(g.has_value());
  CHECK(g->mode == sts_mode::enforce);
  CHECK(g->mx == std::vector<std::string>{"mx1.b.test", "*.mx.b.test"});
  CHECK(g->max_age == 86400);
  CHECK(g->id == "20261206");
  CHECK(g->fetched == 1'700'000'000);
  auto h = c->get("c.test").value();
  REQUIRE(h.has_value());
  CHECK(h->mode == sts_mode::testing);
  CHECK(h->mx.empty());

  // A newer policy replaces the old one whole; the other domain keeps its own.
  p.mode = sts_mode::none;
  p.mx = {"mx2.b.test"};
  p.id = "20261207";
  p.max_age = 60;
  REQUIRE(c->put("b.test", p).has_value());
  c.reset();
  auto again = open_sts_cache(t.target).value();  // kept across a restart
  g = again->get("b.test").value();
  REQUIRE(g.has_value());
  CHECK(g->mode == sts_mode::none);
  CHECK(g->mx == std::vector<std::string>{"mx2.b.test"});
  CHECK(g->id == "20261207");
  CHECK(g->max_age == 60);
  CHECK(again->get("c.test").value()->id == "c1");
}
