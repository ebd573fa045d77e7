#include "mail/sieve_store/store.hpp"

#include <catch2/catch.hpp>


#include "directory/directory.hpp"
#include "tests/unit/test_database.hpp"

using namespace hearth;
using namespace hearth::mail::sieve_store;

namespace {

directory::stored_credentials creds() { return {"$argon2id$v=19$x", "i=4096,s=x", "i=4096,t=x"}; }

// Every case runs on both engines.
struct fixture {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  std::unique_ptr<directory::directory> dir;
  std::unique_ptr<store> st;
  explicit fixture(quota q = {}) {
    dir = directory::directory::open(t.target).value();
    dir->add_domain("home.test").value();
    dir->add_account("alice@home.test", creds()).value();
    dir->add_account("bob@home.test", creds()).value();
    st = store::open(t.target, q).value();
  }
};

std::string code(const result<void>& r) { return r ? "" : r.error().code; }

}  // namespace

TEST_CASE("sieve store: put, list, get, activate, rename, remove") {
  fixture f;
  auto& st = *f.st;
  REQUIRE(st.list("alice@home.test").value().empty());
  REQUIRE(st.put("alice@home.test", "b", "keep;"));
  REQUIRE(st.put("Alice@HOME.test", "a", "discard;"));
  auto l = st.list("alice@home.test").value();
  REQUIRE(l.size() == 2);
  CHECK(l[0].name == "a");
  CHECK(l[0].size == 8);
  CHECK(!l[0].active);
  CHECK(st.get("alice@home.test", "b").value() == "keep;");
  CHECK(st.get("alice@home.test", "c").error().code == "sieve.not_found");
  CHECK(st.list("bob@home.test").value().empty());  // per account
  CHECK(!st.active("alice@home.test").value());

  REQUIRE(st.set_active("alice@home.test", "a"));
  CHECK(st.active("alice@home.test").value()->name == "a");
  REQUIRE(st.set_active("alice@home.test", "b"));  // at most one active
  l = st.list("alice@home.test").value();
  CHECK(!l[0].active);
  CHECK(l[1].active);
  CHECK(code(st.set_active("alice@home.test", "zz")) == "sieve.not_found");
  CHECK(st.active("alice@home.test").value()->name == "b");

  CHECK(code(st.remove("alice@home.test", "b")) == "sieve.active");
  CHECK(code(st.rename("alice@home.test", "b", "a")) == "sieve.exists");
  CHECK(code(st.rename("alice@home.test", "x", "y")) == "sieve.not_found");
  REQUIRE(st.rename("alice@home.test", "b", "c"));
  CHECK(st.active("alice@home.test").value()->name == "c");  // stays active
  REQUIRE(st.put("alice@home.test", "c", "stop;"));
  CHECK(st.active("alice@home.test").value()->content == "stop;");

  REQUIRE(st.set_active("alice@home.test", std::nullopt));
  CHECK(!st.active("alice@home.test").value());
  REQUIRE(st.remove("alice@home.test", "c"));
  CHECK(code(st.remove("alice@home.test", "c")) == "sieve.not_found");

  CHECK(code(st.put("nobody@home.test", "a", "keep;")) == "sieve.no_account");
  CHECK(code(st.put("alice@home.test", "", "keep;")) == "sieve.invalid");
  CHECK(code(st.put("alice@home.test", "a\nb", "keep;")) == "sieve.invalid");
}

TEST_CASE("sieve store: quotas count a replaced script once") {
  fixture f(quota{2, 10, 15});
  auto& st = *f.st;
  REQUIRE(st.put("alice@home.test", "one", "1234567890"));
  CHECK(code(st.put("alice@home.test", "big", "12345678901")) == "sieve.quota_size");
  CHECK(code(st.put("alice@home.test", "two", "123456")) == "sieve.quota_size");  // total 16
  REQUIRE(st.put("alice@home.test", "two", "12345"));
  CHECK(code(st.put("alice@home.test", "three", "1")) == "sieve.quota_scripts");
  CHECK(code(st.check_space("alice@home.test", "three", 1)) == "sieve.quota_scripts");
  REQUIRE(st.check_space("alice@home.test", "one", 10));  // replacing
  REQUIRE(st.put("alice@home.test", "one", "1"));
  CHECK(code(st.check_space("alice@home.test", "two", 14)) == "sieve.quota_size");
  REQUIRE(st.check_space("alice@home.test", "two", 10));
}

TEST_CASE("sieve store: scripts and memory go with the account") {
  fixture f;
  auto& st = *f.st;
  REQUIRE(st.put("alice@home.test", "a", "keep;"));
  REQUIRE(st.set_active("alice@home.test", "a"));
  CHECK(!st.remember("alice@home.test", "vacation", "x@y.test", 1000, 86400).value());
  CHECK(st.remember("alice@home.test", "vacation", "x@y.test", 2000, 86400).value());
  CHECK(!st.remember("bob@home.test", "vacation", "x@y.test", 2000, 86400).value());
  CHECK(st.remembered("alice@home.test", "vacation", "x@y.test", 2000).value());
  CHECK(!st.remembered("alice@home.test", "vacation", "x@y.test", 1000 + 86400).value());
  CHECK(!st.remember("alice@home.test", "vacation", "x@y.test", 1000 + 86400, 60).value());  // expired: again
  REQUIRE(f.dir->remove_account("alice@home.test"));
  REQUIRE(f.dir->add_account("alice@home.test", creds()));
  CHECK(st.list("alice@home.test").value().empty());
  CHECK(!st.active("alice@home.test").value());
  CHECK(!st.remembered("alice@home.test", "vacation", "x@y.test", 2000).value());
}

TEST_CASE("sieve store: global scripts") {
  fixture f;
  auto& st = *f.st;
  CHECK(!st.global_get("before").value());
  REQUIRE(st.global_put("before", "keep;"));
  REQUIRE(st.global_put("before", "stop;"));
  CHECK(*st.global_get("before").value() == "stop;");
  CHECK(st.global_list().value().size() == 1);
  REQUIRE(st.global_remove("before"));
  CHECK(code(st.global_remove("before")) == "sieve.not_found");
}

TEST_CASE("sieve store: script names follow RFC 5804 §1.6") {
  CHECK(valid_name("vacation"));
  CHECK(valid_name("Filtre d\xc3\xa9" "faut"));
  CHECK(!valid_name(""));
  CHECK(!valid_name("a\x7f"));
  CHECK(!valid_name("a\xc2\x85"));          // NEL, a C1 control
  CHECK(!valid_name("a\xe2\x80\xa8"));      // LINE SEPARATOR
  CHECK(!valid_name("\xff"));
  CHECK(!valid_name(std::string(513, 'a')));
}
