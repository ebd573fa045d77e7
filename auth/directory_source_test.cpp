#include "auth/authenticator.hpp"
#include "auth/directory_source.hpp"
#include "core/log/log.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace hearth;
using namespace hearth::auth;

TEST_CASE("directory_source: account password, app password, disabled, unknown") {
  log::set_level(log::level::error);
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("hearth-auth-" + log::new_id());
  fs::create_directories(dir);
  {
    auto d = directory::directory::open(dir / "directory.db");
    REQUIRE(d);
    auto& directory = **d;
    REQUIRE(directory.add_domain("home.test"));
    const argon2_params cheap{64, 1, 1};
    auto main = derive_credentials("main-password", cheap);
    REQUIRE(directory.add_account("Ann@Home.test", main));
    REQUIRE(directory.add_app_password("ann@home.test", "phone", derive_credentials("app-password", main, cheap)));

    directory_source src(directory);
    CHECK_FALSE(src.lookup("nobody@home.test"));
    auto rec = src.lookup("ANN@home.test");
    REQUIRE(rec);
    CHECK(rec->address == "ann@home.test");
    CHECK_FALSE(rec->disabled);
    REQUIRE(rec->credentials.size() == 2);
    CHECK(rec->credentials[0].name.empty());
    CHECK(rec->credentials[1].name == "phone");
    CHECK(rec->credentials[1].id != 0);

    authenticator auth(src, throttle_config{});
    context ctx{"imap", "192.0.2.1", true, std::nullopt};
    auto ok = auth.check_password(ctx, "ann@HOME.test", "app-password");
    CHECK(ok.result == outcome::ok);
    CHECK(ok.address == "ann@home.test");
    auto apps = directory.app_passwords("ann@home.test");
    REQUIRE(apps.size() == 1);
    CHECK(apps[0].last_used.has_value());  // used() recorded it
    CHECK(auth.check_password(ctx, "ann@home.test", "main-password").result == outcome::ok);
    CHECK(auth.check_password(ctx, "ann@home.test", "wrong").result == outcome::failed);

    REQUIRE(directory.set_disabled("ann@home.test", true));
    auto off = src.lookup("ann@home.test");
    REQUIRE(off);
    CHECK(off->disabled);
    CHECK(off->credentials.empty());
    CHECK(auth.check_password(ctx, "ann@home.test", "main-password").result == outcome::failed);
  }
  fs::remove_all(dir);
}
