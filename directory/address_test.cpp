#include "directory/address.hpp"

#include <catch2/catch.hpp>

using namespace hearth::directory;

TEST_CASE("address: ASCII case folds, dot-atoms accepted") {
  CHECK(normalize_address("Alice@Example.COM") == "alice@example.com");
  CHECK(normalize_address("a.b+tag@sub.example.org") == "a.b+tag@sub.example.org");
  CHECK(normalize_address("o'neil!#$%&*/=?^_`{|}~-@x.test") == "o'neil!#$%&*/=?^_`{|}~-@x.test");
  CHECK(normalize_address("u@localhost") == "u@localhost");
  CHECK(normalize_address("u@3com.example") == "u@3com.example");
}

TEST_CASE("address: IDN domains go to ACE and back") {
  CHECK(normalize_address("user@b\xc3\xbc" "cher.example") == "user@xn--bcher-kva.example");
  CHECK(normalize_address("user@B\xc3\x9c" "CHER.Example") == "user@xn--bcher-kva.example");  // TR46 case map
  CHECK(normalize_address("user@xn--bcher-kva.example") == "user@xn--bcher-kva.example");
  CHECK(normalize_domain("XN--BCHER-KVA.example") == "xn--bcher-kva.example");
  CHECK(display_domain("xn--bcher-kva.example") == "b\xc3\xbc" "cher.example");
  CHECK(display_domain("plain.example") == "plain.example");
  // Non-transitional: sharp s stays (transitional processing would give "strasse").
  CHECK(normalize_domain("stra\xc3\x9f" "e.example") == "xn--strae-oqa.example");
}

TEST_CASE("address: non-ASCII local parts are kept (SMTPUTF8)") {
  CHECK(normalize_address("J\xc3\xb6rg@Example.com") == "j\xc3\xb6rg@example.com");
  CHECK(normalize_address("\xc3\x96@example.com") == "\xc3\x96@example.com");  // not folded
}

TEST_CASE("address: invalid forms are refused") {
  for (const char* bad : {"", "@", "a@", "@b.example", "ab.example", "a@@b.example", "a@b@c.example",
                          "a b@example.com", "a@exa mple.com", "\"a\"@example.com", "a@[192.0.2.1]", ".a@x.example",
                          "a.@x.example", "a..b@x.example", "a@x..example", "a@-x.example", "a@x-.example",
                          "a@x.example.", "a\t@x.example", "a\r\n@x.example", "a\x7f@x.example", "a,b@x.example",
                          "a@x_y.example", "a@ab--cd.example", "a@xn--zz.example"}) {
    INFO(bad);
    CHECK_FALSE(normalize_address(bad).has_value());
  }
  CHECK_FALSE(normalize_address(std::string_view("a\0b@x.example", 13)).has_value());
  CHECK_FALSE(normalize_address("a\xc3@x.example").has_value());          // truncated UTF-8
  CHECK_FALSE(normalize_address("a\xc0\xaf@x.example").has_value());      // overlong
  CHECK_FALSE(normalize_address("a\xed\xa0\x80@x.example").has_value());  // surrogate
  CHECK_FALSE(normalize_address("a\xc2\x85@x.example").has_value());      // C1 control (NEL)
  CHECK_FALSE(normalize_address("a\xc2\xa0" "b@x.example").has_value());  // no-break space
  CHECK_FALSE(normalize_address("a@x\xff.example").has_value());
  CHECK_FALSE(normalize_domain("").has_value());
  CHECK_FALSE(normalize_domain(".").has_value());
  CHECK(normalize_domain("Example.COM.") == "example.com");  // one trailing dot is fine for a domain
}

TEST_CASE("address: RFC 5321 length limits") {
  std::string l64(64, 'a'), l65(65, 'a');
  CHECK(normalize_address(l64 + "@x.example").has_value());
  CHECK_FALSE(normalize_address(l65 + "@x.example").has_value());
  std::string label63(63, 'b'), label64(64, 'b');
  CHECK(normalize_domain(label63 + ".example").has_value());
  CHECK_FALSE(normalize_domain(label64 + ".example").has_value());
  // Domain of 4*63+3 = 255 octets is accepted alone, but no address fits around it (254).
  std::string d255 = label63 + "." + label63 + "." + label63 + "." + label63;
  REQUIRE(d255.size() == 255);
  CHECK(normalize_domain(d255).has_value());
  CHECK_FALSE(normalize_domain(d255 + "x").has_value());
  CHECK_FALSE(normalize_address("a@" + d255).has_value());
  std::string d251 = label63 + "." + label63 + "." + label63 + "." + std::string(59, 'c');
  REQUIRE(d251.size() == 251);
  CHECK(normalize_address("ab@" + d251).has_value());    // 254
  CHECK_FALSE(normalize_address("abc@" + d251).has_value());  // 255
  CHECK_FALSE(normalize_address(std::string(100000, 'a') + "@x.example").has_value());
}

TEST_CASE("address: domain_of") {
  CHECK(domain_of("a@b.example") == "b.example");
  CHECK(domain_of("@b.example") == "b.example");
  CHECK(domain_of("nodomain") == "");
}
