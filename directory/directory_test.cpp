#include "directory/directory.hpp"

#include "core/sql/sql.hpp"
#include "tests/unit/test_database.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <thread>

using namespace hearth;
using namespace hearth::directory;
using strings = std::vector<std::string>;

namespace {

using temp_dir_db = hearth::test_database;  // every case runs on both engines

stored_credentials creds(std::string tag) { return {"$argon2id$v=19$" + tag, "i=4096,s=" + tag, "i=4096,t=" + tag}; }

std::unique_ptr<hearth::directory::directory> open_dir(const temp_dir_db& t) { return hearth::directory::directory::open(t.target).value(); }

strings targets_of(hearth::directory::directory& d, const std::string& source) {
  for (auto& a : d.aliases())
    if (a.source == source) return a.targets;
  return {};
}

}  // namespace

TEST_CASE("directory: domains") {
  temp_dir_db t(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  auto d = open_dir(t);
  auto dom = d->add_domain("B\xc3\xbc" "cher.Example").value();
  CHECK(dom.name == "xn--bcher-kva.example");
  CHECK(dom.display == "b\xc3\xbc" "cher.example");
  CHECK(d->add_domain("xn--bcher-kva.example").error().code == "directory.exists");
  CHECK(d->add_domain("bad domain").error().code == "directory.invalid");
  REQUIRE(d->add_domain("home.test"));
  CHECK(d->is_local_domain("HOME.test"));
  CHECK(d->is_local_domain("b\xc3\xbc" "cher.example"));
  CHECK_FALSE(d->is_local_domain("elsewhere.test"));
  CHECK(d->domains().size() == 2);
  REQUIRE(d->find_domain("home.test"));
  CHECK(d->find_domain("home.test")->name == "home.test");

  REQUIRE(d->add_account("a@home.test", creds("a")));
  CHECK(d->remove_domain("home.test").error().code == "directory.not_empty");
  CHECK(d->remove_domain("nowhere.test").error().code == "directory.not_found");
  REQUIRE(d->remove_account("a@home.test"));
  REQUIRE(d->remove_domain("home.test"));
  CHECK_FALSE(d->is_local_domain("home.test"));
  CHECK(d->aliases("home.test").empty());  // postmaster/abuse went with the domain
}

TEST_CASE("directory: accounts, case-insensitive, duplicates and errors") {
  temp_dir_db t(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  auto d = open_dir(t);
  REQUIRE(d->add_domain("home.test"));
  CHECK(d->add_account("x@nowhere.test", creds("x")).error().code == "directory.no_domain");
  CHECK(d->add_account("not an address", creds("x")).error().code == "directory.invalid");
  CHECK(d->add_account("x@home.test", stored_credentials{}).error().code == "directory.invalid");
  auto a = d->add_account("Alice@HOME.test", creds("a"), "Alice A.", 1000).value();
  CHECK(a.address == "alice@home.test");
  CHECK(d->add_account("alice@home.test", creds("b")).error().code == "directory.exists");
  auto found = d->find_account("ALICE@home.TEST");
  REQUIRE(found);
  CHECK(found->id == a.id);
  CHECK(found->display_name == "Alice A.");
  CHECK(found->quota_bytes == 1000);
  CHECK_FALSE(d->find_account("bob@home.test"));

  CHECK(d->credentials("alice@home.test")->argon2id == creds("a").argon2id);
  REQUIRE(d->set_credentials("alice@home.test", creds("new")));
  CHECK(d->credentials("alice@home.test")->scram_sha256 == creds("new").scram_sha256);
  REQUIRE(d->set_disabled("alice@home.test", true));
  CHECK(d->find_account("alice@home.test")->disabled);
  CHECK_FALSE(d->credentials("alice@home.test"));  // a disabled account cannot log in
  REQUIRE(d->set_disabled("alice@home.test", false));
  CHECK(d->credentials("alice@home.test"));
  CHECK_FALSE(d->find_account("alice@home.test")->admin);  // nobody is an administrator unasked
  REQUIRE(d->set_admin("ALICE@home.test", true));
  CHECK(d->find_account("alice@home.test")->admin);
  CHECK(d->accounts("home.test").front().admin);
  REQUIRE(d->set_admin("alice@home.test", false));
  CHECK_FALSE(d->find_account("alice@home.test")->admin);
  CHECK(d->set_admin("nobody@home.test", true).error().code == "directory.not_found");
  REQUIRE(d->set_display_name("alice@home.test", "Alice B"));
  REQUIRE(d->set_quota("alice@home.test", 0));
  CHECK(d->find_account("alice@home.test")->display_name == "Alice B");
  CHECK(d->set_display_name("alice@home.test", "bad\nname").error().code == "directory.invalid");
  CHECK(d->set_quota("alice@home.test", -1).error().code == "directory.invalid");
  CHECK(d->set_quota("ghost@home.test", 5).error().code == "directory.not_found");
  CHECK(d->remove_account("ghost@home.test").error().code == "directory.not_found");

  REQUIRE(d->add_domain("other.test"));
  REQUIRE(d->add_account("zed@other.test", creds("z")));
  CHECK(d->accounts().size() == 2);
  CHECK(d->accounts(std::string("other.test")).size() == 1);
  CHECK(d->accounts(std::string("other.test"))[0].address == "zed@other.test");
}

TEST_CASE("directory: first account gets postmaster and abuse; removal keeps them valid") {
  temp_dir_db t(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  auto d = open_dir(t);
  REQUIRE(d->add_domain("home.test"));
  REQUIRE(d->add_account("first@home.test", creds("1")));
  CHECK(targets_of(*d, "postmaster@home.test") == strings{"first@home.test"});
  CHECK(targets_of(*d, "abuse@home.test") == strings{"first@home.test"});
  REQUIRE(d->add_account("second@home.test", creds("2")));
  CHECK(targets_of(*d, "postmaster@home.test") == strings{"first@home.test"});  // unchanged
  CHECK(d->resolve("Postmaster@home.test") == strings{"first@home.test"});

  // postmaster is an alias: an account of that name is refused until the alias is gone.
  CHECK(d->add_account("postmaster@home.test", creds("p")).error().code == "directory.conflict");
  CHECK(d->remove_alias("postmaster@home.test").error().code == "directory.required");
  CHECK(d->remove_alias("abuse@home.test", std::string("first@home.test")).error().code == "directory.required");

  REQUIRE(d->remove_account("first@home.test"));
  CHECK(targets_of(*d, "postmaster@home.test") == strings{"second@home.test"});
  CHECK(targets_of(*d, "abuse@home.test") == strings{"second@home.test"});
  REQUIRE(d->remove_account("second@home.test"));
  CHECK(d->resolve("postmaster@home.test").empty());  // no accounts left: nothing to point at
  REQUIRE(d->add_account("third@home.test", creds("3")));
  CHECK(d->resolve("abuse@home.test") == strings{"third@home.test"});
}

TEST_CASE("directory: the first account may itself be postmaster") {
  temp_dir_db t(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  auto d = open_dir(t);
  REQUIRE(d->add_domain("home.test"));
  REQUIRE(d->add_account("postmaster@home.test", creds("p")));
  CHECK(targets_of(*d, "postmaster@home.test").empty());  // an account, not an alias
  CHECK(d->resolve("abuse@home.test") == strings{"postmaster@home.test"});
}

TEST_CASE("directory: aliases, recursive expansion, loops, catch-all") {
  temp_dir_db t(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  auto d = open_dir(t);
  REQUIRE(d->add_domain("home.test"));
  REQUIRE(d->add_account("ann@home.test", creds("a")));
  REQUIRE(d->add_account("bob@home.test", creds("b")));

  CHECK(d->add_alias("ann@home.test", {"bob@home.test"}).error().code == "directory.conflict");
  CHECK(d->add_alias("x@elsewhere.test", {"bob@home.test"}).error().code == "directory.no_domain");
  CHECK(d->add_alias("x@home.test", {}).error().code == "directory.invalid");
  CHECK(d->add_alias("x@home.test", {"not valid"}).error().code == "directory.invalid");
  CHECK(d->add_alias("x@home.test", {"X@home.test"}).error().code == "directory.invalid");  // itself

  REQUIRE(d->add_alias("Family@home.test", {"ann@home.test", "BOB@home.test"}));
  REQUIRE(d->add_alias("family@home.test", {"bob@home.test", "friend@remote.example"}));  // appends, dedups
  CHECK(targets_of(*d, "family@home.test") == strings{"ann@home.test", "bob@home.test", "friend@remote.example"});
  CHECK(d->resolve("family@HOME.test") == strings{"ann@home.test", "bob@home.test", "friend@remote.example"});
  CHECK(d->resolve("bob@home.test") == strings{"bob@home.test"});
  CHECK(d->resolve("nobody@home.test").empty());
  CHECK(d->resolve("someone@remote.example") == strings{"someone@remote.example"});
  CHECK(d->resolve("garbage").empty());

  // Nested and duplicated paths.
  REQUIRE(d->add_alias("all@home.test", {"family@home.test", "ann@home.test", "team@home.test"}));
  REQUIRE(d->add_alias("team@home.test", {"bob@home.test"}));
  CHECK(d->resolve("all@home.test") == strings{"ann@home.test", "bob@home.test", "friend@remote.example"});

  // A loop: l1 -> l2 -> l1, l2 -> ann.
  REQUIRE(d->add_alias("l1@home.test", {"l2@home.test"}));
  REQUIRE(d->add_alias("l2@home.test", {"l1@home.test", "ann@home.test"}));
  CHECK(d->resolve("l1@home.test") == strings{"ann@home.test"});

  // A chain longer than the depth limit stops short.
  for (int i = 0; i < 12; ++i)
    REQUIRE(d->add_alias("c" + std::to_string(i) + "@home.test", {"c" + std::to_string(i + 1) + "@home.test"}));
  REQUIRE(d->add_alias("c12@home.test", {"ann@home.test"}));
  CHECK(d->resolve("c5@home.test") == strings{"ann@home.test"});  // 8 hops: fine
  CHECK(d->resolve("c0@home.test").empty());                      // 13 hops: cut

  // Catch-all for unknown local users only.
  CHECK(d->add_alias("@nowhere.test", {"bob@home.test"}).error().code == "directory.no_domain");
  REQUIRE(d->add_alias("@HOME.test", {"bob@home.test"}));
  CHECK(d->resolve("nobody@home.test") == strings{"bob@home.test"});
  CHECK(d->resolve("ann@home.test") == strings{"ann@home.test"});
  CHECK(d->resolve("family@home.test").size() == 3);
  REQUIRE(d->add_alias("@home.test", {"unknown2@home.test"}));  // catch-all to an unknown: no loop
  CHECK(d->resolve("nobody@home.test") == strings{"bob@home.test"});

  // Removing.
  REQUIRE(d->remove_alias("family@home.test", std::string("BOB@home.test")));
  CHECK(targets_of(*d, "family@home.test") == strings{"ann@home.test", "friend@remote.example"});
  CHECK(d->remove_alias("family@home.test", std::string("bob@home.test")).error().code == "directory.not_found");
  REQUIRE(d->remove_alias("family@home.test"));
  CHECK(targets_of(*d, "family@home.test").empty());
  CHECK(d->remove_alias("family@home.test").error().code == "directory.not_found");
  CHECK(d->add_account("team@home.test", creds("t")).error().code == "directory.conflict");

  // Removing an account drops it from every alias.
  REQUIRE(d->remove_account("bob@home.test"));
  CHECK(targets_of(*d, "team@home.test").empty());
  CHECK(targets_of(*d, "@home.test") == strings{"unknown2@home.test"});
  CHECK(d->aliases(std::string("home.test")).size() == d->aliases().size());
}

TEST_CASE("directory: app passwords") {
  temp_dir_db t(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  auto d = open_dir(t);
  REQUIRE(d->add_domain("home.test"));
  REQUIRE(d->add_account("ann@home.test", creds("a")));
  auto p = d->add_app_password("ANN@home.test", "phone", creds("phone")).value();
  CHECK(p.name == "phone");
  CHECK_FALSE(p.last_used);
  CHECK(d->add_app_password("ann@home.test", "phone", creds("x")).error().code == "directory.exists");
  CHECK(d->add_app_password("ann@home.test", "", creds("x")).error().code == "directory.invalid");
  CHECK(d->add_app_password("ann@home.test", std::string(65, 'n'), creds("x")).error().code == "directory.invalid");
  CHECK(d->add_app_password("ghost@home.test", "x", creds("x")).error().code == "directory.not_found");
  REQUIRE(d->add_app_password("ann@home.test", "laptop", creds("laptop")));
  auto list = d->app_passwords("ann@home.test");
  REQUIRE(list.size() == 2);
  CHECK(list[0].name == "laptop");
  CHECK(list[1].creds.argon2id == creds("phone").argon2id);
  REQUIRE(d->touch_app_password(p.id));
  CHECK(d->app_passwords("ann@home.test")[1].last_used.has_value());
  CHECK(d->touch_app_password(987654).error().code == "directory.not_found");
  REQUIRE(d->revoke_app_password("ann@home.test", "laptop"));
  CHECK(d->revoke_app_password("ann@home.test", "laptop").error().code == "directory.not_found");
  CHECK(d->app_passwords("ann@home.test").size() == 1);
  REQUIRE(d->remove_account("ann@home.test"));
  REQUIRE(d->add_account("ann@home.test", creds("a2")));
  CHECK(d->app_passwords("ann@home.test").empty());  // gone with the old account
}

TEST_CASE("directory: login history is per account and bounded") {
  temp_dir_db t(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  auto d = open_dir(t);
  REQUIRE(d->add_domain("home.test"));
  REQUIRE(d->add_account("ann@home.test", creds("a")));
  REQUIRE(d->add_account("bob@home.test", creds("b")));
  CHECK_FALSE(d->is_login_address("ann@home.test", "192.0.2.1"));
  REQUIRE(d->remember_login_address("ANN@home.test", "192.0.2.1"));
  REQUIRE(d->remember_login_address("ann@home.test", "192.0.2.1"));  // again: one row
  CHECK(d->is_login_address("ann@home.test", "192.0.2.1"));
  CHECK_FALSE(d->is_login_address("bob@home.test", "192.0.2.1"));
  CHECK(d->login_addresses("ann@home.test").size() == 1);
  CHECK(d->remember_login_address("ghost@home.test", "192.0.2.1").error().code == "directory.not_found");
  CHECK(d->remember_login_address("ann@home.test", "").error().code == "directory.invalid");
  CHECK(d->remember_login_address("ann@home.test", "a b").error().code == "directory.invalid");
  for (std::size_t i = 0; i < max_login_addresses + 10; ++i)
    REQUIRE(d->remember_login_address("bob@home.test", "10.0.0." + std::to_string(i)));
  CHECK(d->login_addresses("bob@home.test").size() == max_login_addresses);

  for (std::size_t i = 0; i < max_login_events + 20; ++i)
    REQUIRE(d->add_login_event("ann@home.test", {0, "198.51.100." + std::to_string(i % 250), "imap", "failed"}));
  REQUIRE(d->add_login_event("ann@home.test", {0, "198.51.100.7", "smtp", "blocked_ip"}));
  CHECK(d->add_login_event("ghost@home.test", {0, "198.51.100.7", "smtp", "failed"}).error().code ==
        "directory.not_found");
  CHECK(d->add_login_event("ann@home.test", {0, "198.51.100.7", "smtp", "bad\nevent"}).error().code ==
        "directory.invalid");
  auto ev = d->login_events("ann@home.test", 1000);
  CHECK(ev.size() == max_login_events);
  REQUIRE_FALSE(ev.empty());
  CHECK(ev[0].event == "blocked_ip");
  CHECK(ev[0].proto == "smtp");
  CHECK(ev[0].at > 0);
  CHECK(d->login_events("ann@home.test", 3).size() == 3);
  CHECK(d->login_events("bob@home.test", 10).empty());
  REQUIRE(d->remove_account("ann@home.test"));
  REQUIRE(d->add_account("ann@home.test", creds("a2")));
  CHECK(d->login_events("ann@home.test", 10).empty());  // gone with the old account
  CHECK(d->login_addresses("ann@home.test").empty());
}

TEST_CASE("directory: dkim keys") {
  temp_dir_db t(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  auto d = open_dir(t);
  REQUIRE(d->add_domain("home.test"));
  const std::string pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
  auto k = d->add_dkim_key("HOME.test", "S2026", "ed25519-sha256", pem).value();
  CHECK(k.selector == "s2026");
  CHECK(d->add_dkim_key("home.test", "s2026", "rsa-sha256", pem).error().code == "directory.exists");
  CHECK(d->add_dkim_key("home.test", "s1", "rsa-sha1", pem).error().code == "directory.invalid");
  CHECK(d->add_dkim_key("home.test", "bad selector", "rsa-sha256", pem).error().code == "directory.invalid");
  CHECK(d->add_dkim_key("home.test", "s1", "rsa-sha256", "not pem").error().code == "directory.invalid");
  CHECK(d->add_dkim_key("other.test", "s1", "rsa-sha256", pem).error().code == "directory.no_domain");
  REQUIRE(d->add_dkim_key("home.test", "rsa1", "rsa-sha256", pem));
  auto keys = d->dkim_keys("home.test");
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].private_pem == pem);
  CHECK(d->dkim_keys("other.test").empty());
}

TEST_CASE("directory: two objects on one file see each other's writes") {
  temp_dir_db t(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  auto a = open_dir(t);
  auto b = open_dir(t);  // as `hearth user add` beside `hearth serve`
  REQUIRE(a->add_domain("home.test"));
  CHECK(b->is_local_domain("home.test"));
  REQUIRE(b->add_account("ann@home.test", creds("a")));
  CHECK(a->find_account("ann@home.test"));
  REQUIRE(a->set_credentials("ann@home.test", creds("changed")));
  CHECK(b->credentials("ann@home.test")->argon2id == creds("changed").argon2id);
  REQUIRE(b->remove_account("ann@home.test"));
  CHECK_FALSE(a->find_account("ann@home.test"));
}

TEST_CASE("directory: concurrent writers from several threads") {
  temp_dir_db t(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  auto d = open_dir(t);
  REQUIRE(d->add_domain("home.test"));
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      for (int j = 0; j < 10; ++j)
        if (!d->add_account("u" + std::to_string(i) + "_" + std::to_string(j) + "@home.test", creds("x"))) ++failures[i];
    });
  for (auto& th : threads) th.join();
  CHECK(failures == std::vector<int>(4, 0));
  CHECK(d->accounts().size() == 40);
  CHECK(d->resolve("postmaster@home.test").size() == 1);
}

TEST_CASE("directory: reopening keeps data; a newer schema is refused") {
  temp_dir_db t(GENERATE(sql::engine::sqlite, sql::engine::postgres));
  {
    auto d = open_dir(t);
    REQUIRE(d->add_domain("home.test"));
  }
  {
    auto d = open_dir(t);
    CHECK(d->is_local_domain("home.test"));
    auto c = sql::open(t.target).value();
    REQUIRE(c->get().exec("INSERT INTO schema_migrations VALUES('directory', 999, 'future', 0)"));
  }
  auto r = hearth::directory::directory::open(t.target);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "db.schema_newer");
}
