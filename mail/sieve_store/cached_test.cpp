// The remembering script store: what it remembers, and each way it forgets.
#include "mail/sieve_store/cached.hpp"

#include <catch2/catch.hpp>

#include "core/events/bus.hpp"
#include "directory/directory.hpp"
#include "tests/unit/test_database.hpp"

using namespace hearth;
using namespace hearth::mail::sieve_store;

namespace {

directory::stored_credentials creds() { return {"$argon2id$v=19$x", "i=4096,s=x", "i=4096,t=x"}; }

struct fixture {
  test_database t{sql::engine::sqlite};
  std::unique_ptr<directory::directory> dir;
  std::unique_ptr<store> inner;
  fixture() {
    dir = directory::directory::open(t.target).value();
    dir->add_domain("home.test").value();
    dir->add_account("alice@home.test", creds()).value();
    inner = store::open(t.target, {}).value();
  }
};

std::string active_content(store& s, std::string_view account) {
  auto a = s.active(account).value();
  return a ? a->content : "-";
}

}  // namespace

TEST_CASE("cached sieve store: remembers the active script, forgets on its own changes and on the bus") {
  fixture f;
  events::bus bus;
  auto c = make_cached(*f.inner, &bus, {64, std::chrono::hours(1), {}});
  std::size_t heard = 0;
  std::string heard_key;
  auto sub = bus.subscribe("sieve.changed", [&](const events::event& e) {
    ++heard;
    heard_key = e.key;
  });

  CHECK(active_content(*c, "alice@home.test") == "-");
  CHECK(!c->global_get("before").value());

  // Behind its back (another process): the remembered answers stay until they are too old.
  REQUIRE(f.inner->put("alice@home.test", "r", "keep;"));
  REQUIRE(f.inner->set_active("alice@home.test", "r"));
  REQUIRE(f.inner->global_put("before", "keep;"));
  CHECK(active_content(*c, "alice@home.test") == "-");
  CHECK(!c->global_get("before").value());
  CHECK(heard == 0);

  // Another node's change arrives on the bus: forgotten.
  bus.publish({"sieve.changed", "alice@home.test", ""});
  CHECK(active_content(*c, "alice@home.test") == "keep;");
  CHECK(c->global_get("before").value() == std::optional<std::string>("keep;"));

  // Its own changes (what ManageSieve and the web console call): forgotten at once, and
  // announced to the others.
  heard = 0;
  REQUIRE(c->put("alice@home.test", "r", "discard;"));
  CHECK(heard == 1);
  CHECK(heard_key == "alice@home.test");
  CHECK(active_content(*c, "alice@home.test") == "discard;");
  REQUIRE(c->put("alice@home.test", "s", "stop;"));
  REQUIRE(c->set_active("alice@home.test", "s"));
  CHECK(active_content(*c, "alice@home.test") == "stop;");
  REQUIRE(c->rename("alice@home.test", "s", "t"));
  CHECK(c->active("alice@home.test").value()->name == "t");
  REQUIRE(c->set_active("alice@home.test", std::nullopt));
  CHECK(active_content(*c, "alice@home.test") == "-");
  REQUIRE(c->remove("alice@home.test", "t"));
  REQUIRE(c->global_remove("before"));
  CHECK(heard == 7);
  CHECK(heard_key.empty());
  CHECK(!c->global_get("before").value());

  // A failed change is still announced (it may have committed elsewhere before failing).
  CHECK(!c->remove("alice@home.test", "nothing"));
  CHECK(heard == 8);

  // A directory change empties it too.
  CHECK(active_content(*c, "alice@home.test") == "-");
  REQUIRE(f.inner->put("alice@home.test", "u", "keep;"));
  REQUIRE(f.inner->set_active("alice@home.test", "u"));
  CHECK(active_content(*c, "alice@home.test") == "-");
  bus.publish({"directory.changed", "", ""});
  CHECK(active_content(*c, "alice@home.test") == "keep;");
}

TEST_CASE("cached sieve store: bounded in age and size, failures not remembered") {
  fixture f;
  auto fresh = make_cached(*f.inner, nullptr, {64, std::chrono::milliseconds(0), {}});
  auto through = make_cached(*f.inner, nullptr, {0, std::chrono::hours(1), {}});
  auto small = make_cached(*f.inner, nullptr, {1, std::chrono::hours(1), {}});
  for (auto* s : {fresh.get(), through.get(), small.get()}) CHECK(active_content(*s, "alice@home.test") == "-");
  CHECK(!small->global_get("g").value());  // fills the other kind; each kind has its own bound
  REQUIRE(f.inner->put("alice@home.test", "r", "keep;"));
  REQUIRE(f.inner->set_active("alice@home.test", "r"));
  CHECK(active_content(*fresh, "alice@home.test") == "keep;");
  CHECK(active_content(*through, "alice@home.test") == "keep;");
  CHECK(active_content(*small, "alice@home.test") == "-");  // still remembered
  // A second account's entry pushes the first out of a one-entry cache.
  REQUIRE(f.dir->add_account("bob@home.test", creds()));
  CHECK(active_content(*small, "bob@home.test") == "-");
  CHECK(active_content(*small, "alice@home.test") == "keep;");

  // An unknown account fails and is asked again next time.
  auto c = make_cached(*f.inner, nullptr, {64, std::chrono::hours(1), {}});
  CHECK(c->active("carol@home.test").error().code == "sieve.no_account");
  REQUIRE(f.dir->add_account("carol@home.test", creds()));
  CHECK(active_content(*c, "carol@home.test") == "-");
}

TEST_CASE("cached sieve store: another process's change is seen through the stamp file") {
  fixture f;
  const auto stamp = std::filesystem::path(f.t.target + ".stamp");
  std::filesystem::remove(stamp);
  // The server's cache, and what `hearth sieve` uses (remembers nothing, touches the stamp).
  auto server = make_cached(*f.inner, nullptr, {64, std::chrono::hours(1), stamp});
  auto other = store::open(f.t.target, {}).value();
  auto cli = make_cached(*other, nullptr, {0, std::chrono::hours(1), stamp});

  CHECK(active_content(*server, "alice@home.test") == "-");
  REQUIRE(cli->put("alice@home.test", "r", "keep;"));
  REQUIRE(cli->set_active("alice@home.test", "r"));
  CHECK(active_content(*server, "alice@home.test") == "keep;");
  REQUIRE(cli->put("alice@home.test", "r", "discard;"));
  CHECK(active_content(*server, "alice@home.test") == "discard;");
  REQUIRE(cli->global_put("after", "stop;"));
  CHECK(server->global_get("after").value() == std::optional<std::string>("stop;"));
  CHECK(std::filesystem::file_size(stamp) == 4);  // one byte per change
  // Without a stamp, the same change stays unseen until the entry is too old.
  CHECK(active_content(*server, "alice@home.test") == "discard;");
  REQUIRE(other->put("alice@home.test", "r", "keep;"));
  CHECK(active_content(*server, "alice@home.test") == "discard;");
  std::filesystem::remove(stamp);
}
