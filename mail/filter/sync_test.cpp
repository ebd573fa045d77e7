#include "mail/filter/sync.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::filter;

TEST_CASE("backup MX sync: the primary's URL", "[filter][sync]") {
  auto u = parse_https_url("https://mail.example.org");
  REQUIRE(u);
  CHECK(u->host == "mail.example.org");
  CHECK(u->port == "443");
  CHECK(u->path.empty());
  u = parse_https_url("HTTPS://127.0.0.1:8443/base/");
  REQUIRE(u);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == "8443");
  CHECK(u->path == "/base");
  u = parse_https_url("https://[::1]:444");
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->port == "444");
  for (const char* bad : {"http://mail.example.org", "https://", "https://user@host", "https://h:0", "https://h:70000",
                          "https://h:", "https://h:8x", "https://h/p?q=1", "https://[::1", "mail.example.org"})
    CHECK_FALSE(parse_https_url(bad));
}

TEST_CASE("backup MX sync: a domain's listing", "[filter][sync]") {
  auto l = parse_listing("Demo@Example.org\r\npostmaster@example.org\n\n@example.org", "example.ORG");
  REQUIRE(l);
  CHECK(*l == std::vector<std::string>{"demo@example.org", "postmaster@example.org", "@example.org"});
  CHECK(parse_listing("", "example.org")->empty());
  CHECK_FALSE(parse_listing("a@other.org\n", "example.org"));
  CHECK_FALSE(parse_listing("a@b@example.org\n", "example.org"));
  CHECK_FALSE(parse_listing("a@xexample.org\n", "example.org"));
  CHECK_FALSE(parse_listing("a b@example.org\n", "example.org"));
  CHECK_FALSE(parse_listing("<html>\n", "example.org"));
}
