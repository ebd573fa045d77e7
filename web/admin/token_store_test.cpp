#include "web/admin/token_store.hpp"

#include <catch2/catch.hpp>

#include "directory/directory.hpp"
#include "tests/unit/test_database.hpp"

using namespace hearth;
using namespace hearth::web::admin;


TEST_CASE("api tokens: created, verified by secret, listed, revoked, gone with the account") {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  INFO(engine_name(t.engine));
  auto dir = directory::directory::open(t.target).value();
  REQUIRE(dir->add_domain("home.test"));
  REQUIRE(dir->add_account("boss@home.test", {"$argon2id$x", "i=1,s=a", "i=1,s=b"}));
  REQUIRE(dir->add_account("other@home.test", {"$argon2id$y", "i=1,s=a", "i=1,s=b"}));
  auto st = open_token_store(t.target).value();

  auto a = st->create("Boss@HOME.test", "backup script").value();
  CHECK(a.secret.starts_with("hearth_"));
  CHECK(well_formed_token(a.secret));
  CHECK(a.info.address == "boss@home.test");
  auto b = st->create("other@home.test", "monitoring").value();
  CHECK(a.secret != b.secret);

  auto who = st->verify(a.secret).value();
  REQUIRE(who);
  CHECK(who->id == a.info.id);
  CHECK(who->address == "boss@home.test");
  CHECK(who->label == "backup script");
  CHECK(who->last_used);

  // A near miss, a malformed value and the stored hash itself are no tokens.
  std::string wrong = a.secret;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  CHECK_FALSE(st->verify(wrong).value());
  CHECK_FALSE(st->verify("hearth_xyz").value());
  CHECK_FALSE(st->verify("").value());
  CHECK_FALSE(st->verify(a.secret + "0").value());

  auto all = st->list().value();
  REQUIRE(all.size() == 2);
  CHECK(all[0].id == b.info.id);  // newest first
  CHECK(all[1].last_used);
  CHECK_FALSE(all[0].last_used);

  REQUIRE(st->revoke(a.info.id));
  CHECK_FALSE(st->verify(a.secret).value());
  CHECK(st->revoke(a.info.id).error().code == "token.not_found");

  REQUIRE(dir->remove_account("other@home.test"));
  CHECK_FALSE(st->verify(b.secret).value());
  CHECK(st->list().value().empty());
}

TEST_CASE("api tokens: bad labels and unknown accounts are refused") {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  INFO(engine_name(t.engine));
  auto dir = directory::directory::open(t.target).value();
  REQUIRE(dir->add_domain("home.test"));
  REQUIRE(dir->add_account("boss@home.test", {"$argon2id$x", "i=1,s=a", "i=1,s=b"}));
  auto st = open_token_store(t.target).value();
  CHECK(st->create("boss@home.test", "").error().code == "token.invalid");
  CHECK(st->create("boss@home.test", std::string(65, 'x')).error().code == "token.invalid");
  CHECK(st->create("boss@home.test", "a\nb").error().code == "token.invalid");
  CHECK(st->create("nobody@home.test", "x").error().code == "token.no_account");
  CHECK(st->create("not an address", "x").error().code == "token.no_account");
  CHECK(st->list().value().empty());
}
