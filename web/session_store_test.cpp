#include "web/session_store.hpp"

#include <catch2/catch.hpp>

#include <thread>

#include "directory/directory.hpp"
#include "tests/unit/test_database.hpp"

using namespace hearth;

namespace {
directory::stored_credentials creds() { return {"$argon2id$v=19$x", "i=4096,s=x", "i=4096,t=x"}; }
}  // namespace

TEST_CASE("sessions: create, find, end, end everywhere, go with the account") {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  INFO(engine_name(t.engine));
  auto dir = directory::directory::open(t.target).value();
  REQUIRE(dir->add_domain("home.test"));
  REQUIRE(dir->add_account("alice@home.test", creds()));
  REQUIRE(dir->add_account("bob@home.test", creds()));
  auto st = web::open_session_store(t.target).value();

  auto a1 = st->create("Alice@Home.test", "127.0.0.1", std::chrono::hours(1)).value();
  auto a2 = st->create("alice@home.test", "127.0.0.2", std::chrono::hours(1)).value();
  auto b = st->create("bob@home.test", "127.0.0.3", std::chrono::hours(1)).value();
  CHECK(a1.token != a2.token);
  CHECK(a1.info.csrf != a2.info.csrf);
  CHECK(a1.token.size() == 43);
  CHECK(st->create("nobody@home.test", "127.0.0.1", std::chrono::hours(1)).error().code == "web.no_account");

  auto f = st->find(a1.token);
  REQUIRE(f);
  CHECK(f->address == "alice@home.test");
  CHECK(f->csrf == a1.info.csrf);
  CHECK(f->ip == "127.0.0.1");
  CHECK_FALSE(st->find(a1.info.csrf));  // the CSRF token is not a session token
  CHECK_FALSE(st->find(""));
  CHECK_FALSE(st->find(std::string(43, '!')));

  REQUIRE(st->remove(a1.token));
  CHECK_FALSE(st->find(a1.token));
  CHECK(st->find(a2.token));
  auto a3 = st->create("alice@home.test", "127.0.0.2", std::chrono::hours(1)).value();
  CHECK(st->remove_all("alice@home.test", a3.token).value() == 1);  // a password change keeps its own
  CHECK_FALSE(st->find(a2.token));
  CHECK(st->find(a3.token));
  CHECK(st->remove_all("alice@home.test").value() == 1);
  CHECK_FALSE(st->find(a3.token));
  CHECK(st->find(b.token));  // bob is untouched

  auto expired = st->create("bob@home.test", "127.0.0.1", std::chrono::seconds(-1)).value();
  CHECK_FALSE(st->find(expired.token));
  REQUIRE(st->purge_expired());

  REQUIRE(dir->remove_account("bob@home.test"));
  CHECK_FALSE(st->find(b.token));
}

TEST_CASE("sessions: an unused session ends after the idle time; a used one goes on") {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  INFO(engine_name(t.engine));
  auto dir = directory::directory::open(t.target).value();
  REQUIRE(dir->add_domain("home.test"));
  REQUIRE(dir->add_account("alice@home.test", creds()));
  auto st = web::open_session_store(t.target).value();
  auto used = st->create("alice@home.test", "127.0.0.1", std::chrono::hours(1)).value();
  auto left = st->create("alice@home.test", "127.0.0.1", std::chrono::hours(1)).value();
  CHECK(used.info.last_used == used.info.created);
  const auto idle = std::chrono::seconds(4);
  // `used` is asked for every half second; `left` not at all, for longer than the idle time.
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    REQUIRE(st->find(used.token, idle));
  }
  CHECK_FALSE(st->find(left.token, idle));
  CHECK(st->find(left.token));  // without an idle limit only the lifetime counts
  auto f = st->find(used.token, idle);
  REQUIRE(f);
  CHECK(f->last_used > used.info.created);
}

#include "web/totp_store.hpp"

TEST_CASE("totp store: pending, on, used steps, failures, off, goes with the account") {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  INFO(engine_name(t.engine));
  auto dir = directory::directory::open(t.target).value();
  REQUIRE(dir->add_domain("home.test"));
  REQUIRE(dir->add_account("alice@home.test", creds()));
  auto st = web::open_totp_store(t.target).value();
  CHECK_FALSE(st->get("alice@home.test"));
  CHECK(st->set_pending("nobody@home.test", "secret").error().code == "web.no_account");
  CHECK(st->set_pending("alice@home.test", "").error().code == "web.invalid");
  REQUIRE(st->set_pending("Alice@home.test", std::string("s\0cret", 6)));
  auto s = st->get("alice@home.test");
  REQUIRE(s);
  CHECK(s->secret == std::string("s\0cret", 6));
  CHECK_FALSE(s->enabled);
  REQUIRE(st->enable("alice@home.test", 100));
  CHECK(st->get("alice@home.test")->enabled);
  CHECK(st->get("alice@home.test")->last_step == 100);
  CHECK(st->failed("alice@home.test", 5000).value() == 1);
  CHECK(st->failed("alice@home.test", 5001).value() == 2);
  CHECK(st->get("alice@home.test")->last_failure == 5001);
  REQUIRE(st->accepted("alice@home.test", 101));
  CHECK(st->get("alice@home.test")->failures == 0);
  CHECK(st->get("alice@home.test")->last_step == 101);
  REQUIRE(st->set_pending("alice@home.test", "new"));  // a new secret starts off again
  CHECK_FALSE(st->get("alice@home.test")->enabled);
  REQUIRE(st->remove("alice@home.test"));
  CHECK_FALSE(st->get("alice@home.test"));
  REQUIRE(st->set_pending("alice@home.test", "again"));
  REQUIRE(dir->remove_account("alice@home.test"));
  CHECK_FALSE(st->get("alice@home.test"));
}
