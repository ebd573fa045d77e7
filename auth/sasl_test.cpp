#include "auth/sasl.hpp"

#include <catch2/catch.hpp>

using namespace hearth::auth::sasl;
using namespace std::string_literals;

TEST_CASE("PLAIN parsing (RFC 4616 §2)") {
  auto p = parse_plain("\0user@home.test\0pencil"s);
  REQUIRE(p);
  CHECK(p->authcid == "user@home.test");
  CHECK(p->password == "pencil");

  auto with_authzid = parse_plain("user@home.test\0user@home.test\0pencil"s);
  REQUIRE(with_authzid);
  CHECK(with_authzid->authcid == "user@home.test");
  CHECK(parse_plain("USER@home.test\0user@home.test\0pencil"s));  // same address, other case

  CHECK(parse_plain("admin@home.test\0user@home.test\0pencil"s).error().code == "sasl.authzid");

  CHECK(parse_plain("user@home.test pencil").error().code == "sasl.malformed");   // no NUL
  CHECK(parse_plain("\0user@home.test"s).error().code == "sasl.malformed");       // one NUL
  CHECK(parse_plain("\0user\0pass\0extra"s).error().code == "sasl.malformed");     // three NULs
  CHECK(parse_plain("\0\0pencil"s).error().code == "sasl.malformed");             // empty authcid
  CHECK(parse_plain("\0user\0"s).error().code == "sasl.malformed");               // empty password
  CHECK(parse_plain("").error().code == "sasl.malformed");
  CHECK(parse_plain("\0"s + std::string(300, 'u') + "\0p"s).error().code == "sasl.malformed");
}

TEST_CASE("LOGIN fields") {
  CHECK(parse_login_field("user@home.test", max_identity).value() == "user@home.test");
  CHECK_FALSE(parse_login_field("", max_identity));
  CHECK_FALSE(parse_login_field("a\0b"s, max_identity));
  CHECK_FALSE(parse_login_field(std::string(256, 'a'), max_identity));
}
