// Request targets and Host: nothing outside the registered paths can be named.
#include "core/http/target.hpp"

#include <catch2/catch.hpp>

using namespace hearth::http;

namespace {
std::string path_of(std::string_view t) {
  auto r = parse_target(t);
  return r ? r->path : "<error>";
}
}  // namespace

TEST_CASE("parse_target: decoding and normalization") {
  CHECK(path_of("/") == "/");
  CHECK(path_of("/a/b") == "/a/b");
  CHECK(path_of("/a/b/") == "/a/b/");
  CHECK(path_of("/a//b") == "/a/b");
  CHECK(path_of("/a/./b/.") == "/a/b/");
  CHECK(path_of("/caf%C3%A9/x%20y") == "/caf\xC3\xA9/x y");
  CHECK(path_of("/a+b") == "/a+b");  // '+' is only a space in queries
  CHECK(path_of("//") == "/");

  auto q = parse_target("/mail/config-v1.1.xml?emailaddress=a%40b.test");
  REQUIRE(q);
  CHECK(q->path == "/mail/config-v1.1.xml");
  CHECK(q->query == "emailaddress=a%40b.test");
  CHECK(q->authority.empty());

  auto abs = parse_target("https://Mail.Example.Test:443/x?y=1");
  REQUIRE(abs);
  CHECK(abs->path == "/x");
  CHECK(abs->query == "y=1");
  CHECK(abs->authority == "Mail.Example.Test:443");
  auto bare = parse_target("http://host.test");
  REQUIRE(bare);
  CHECK(bare->path == "/");
}

TEST_CASE("parse_target: refused targets") {
  for (const char* bad : {"/../etc/passwd", "/a/../b", "/a/..", "/%2e%2e/x", "/%2E%2e", "/a/.%2e/b", "/a%2fb",
                          "/a%2F..", "/a%00b", "/a%0d%0aSet-Cookie:x", "/a%7f", "/%zz", "/a%", "/a%4", "*",
                          "", "relative", "example.test:443", "https://host.test?x"}) {
    INFO(bad);
    CHECK_FALSE(parse_target(bad));
  }
  CHECK_FALSE(parse_target("/" + std::string(9000, 'a')));
  // Dots that are not a whole segment are ordinary names.
  CHECK(path_of("/a/..b/c..") == "/a/..b/c..");
  CHECK(path_of("/.well-known/caldav") == "/.well-known/caldav");
}

TEST_CASE("normalize_host") {
  CHECK(normalize_host("Mail.Example.TEST") == "mail.example.test");
  CHECK(normalize_host("mail.example.test:10443") == "mail.example.test");
  CHECK(normalize_host("mail.example.test.") == "mail.example.test");
  CHECK(normalize_host("mail.example.test:") == "mail.example.test");
  CHECK(normalize_host("127.0.0.1:443") == "127.0.0.1");
  CHECK(normalize_host("[::1]:443") == "::1");
  CHECK(normalize_host("[2001:DB8::1]") == "2001:db8::1");
  CHECK(normalize_host("") == "");
  for (const char* bad : {"a b", "a/b", "host:port", "[::1", "[zz::1]", "[]", "a@b", "host:99999999", "a\r\nb"}) {
    INFO(bad);
    CHECK_FALSE(normalize_host(bad));
  }
  CHECK_FALSE(normalize_host(std::string(300, 'a')));
}

TEST_CASE("percent_decode") {
  CHECK(percent_decode("a%41+b", true) == "aA b");
  CHECK(percent_decode("a%41+b", false) == "aA+b");
  CHECK(percent_decode("%", false) == std::nullopt);
  CHECK(percent_decode("%g0", false) == std::nullopt);
}
