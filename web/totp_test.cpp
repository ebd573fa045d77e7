#include "web/totp.hpp"

#include <catch2/catch.hpp>

using namespace hearth::web;

TEST_CASE("totp: RFC 6238 appendix B (SHA-1) and RFC 4226 appendix D") {
  const std::string secret = "12345678901234567890";
  // RFC 6238 gives 8 digits; the last 6 are ours.
  CHECK(totp::hotp(secret, totp::step_of(59)) == "287082");
  CHECK(totp::hotp(secret, totp::step_of(1111111109)) == "081804");
  CHECK(totp::hotp(secret, totp::step_of(1111111111)) == "050471");
  CHECK(totp::hotp(secret, totp::step_of(1234567890)) == "005924");
  CHECK(totp::hotp(secret, totp::step_of(2000000000)) == "279037");
  CHECK(totp::hotp(secret, 0) == "755224");
  CHECK(totp::hotp(secret, 9) == "520489");
}

TEST_CASE("totp: verify allows one step of drift, refuses reuse and junk") {
  const std::string secret = "12345678901234567890";
  const std::int64_t t = 1111111111;
  auto now = totp::hotp(secret, totp::step_of(t));
  CHECK(totp::verify(secret, now, t, 0) == totp::step_of(t));
  CHECK(totp::verify(secret, totp::hotp(secret, totp::step_of(t) - 1), t, 0));
  CHECK(totp::verify(secret, totp::hotp(secret, totp::step_of(t) + 1), t, 0));
  CHECK_FALSE(totp::verify(secret, totp::hotp(secret, totp::step_of(t) - 2), t, 0));
  CHECK_FALSE(totp::verify(secret, now, t, totp::step_of(t)));  // already used
  CHECK_FALSE(totp::verify(secret, "12345", t, 0));
  CHECK_FALSE(totp::verify(secret, "12345a", t, 0));
  CHECK_FALSE(totp::verify("another secret", now, t, 0));
}

TEST_CASE("totp: base32 and the otpauth URI") {
  CHECK(totp::base32("") == "");
  CHECK(totp::base32("f") == "MY");
  CHECK(totp::base32("foobar") == "MZXW6YTBOI");  // RFC 4648 §10, without padding
  CHECK(totp::uri("Hearth mail.x.test", "a@x.test", "foobar") ==
        "otpauth://totp/Hearth%20mail.x.test:a@x.test?secret=MZXW6YTBOI&issuer=Hearth%20mail.x.test&algorithm=SHA1&digits=6&period=30");
}
