#include "mail/queue/mta_sts.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::queue;

TEST_CASE("MTA-STS TXT record: exactly one v=STSv1 record with an id", "[queue][sts]") {
  CHECK(sts_record_id({"v=STSv1; id=20160831085700Z;"}) == "20160831085700Z");
  CHECK(sts_record_id({"v=spf1 -all", "v=STSv1;id=abc123"}) == "abc123");
  CHECK(sts_record_id({"v=STSv1; id=abc; ext=1"}) == "abc");
  CHECK_FALSE(sts_record_id({}));
  CHECK_FALSE(sts_record_id({"v=spf1 -all"}));
  CHECK_FALSE(sts_record_id({"v=STSv1; id=a;", "v=STSv1; id=b;"}));  // two: no policy (§3.1)
  CHECK_FALSE(sts_record_id({"v=STSv1;"}));                          // no id
  CHECK_FALSE(sts_record_id({"v=STSv1; id=has-dash;"}));
  CHECK_FALSE(sts_record_id({"v=STSv1; id=123456789012345678901234567890123;"}));  // 33
  CHECK_FALSE(sts_record_id({"v=STSv1; id"}));
  CHECK_FALSE(sts_record_id({"id=abc; v=STSv1;"}));
}

TEST_CASE("MTA-STS policy documents", "[queue][sts]") {
  std::string why;
  auto p = parse_sts_policy("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.Example.NET.\r\nmax_age: 86400\r\n", why);
  REQUIRE(p);
  CHECK(p->mode == sts_mode::enforce);
  CHECK(p->mx == std::vector<std::string>{"mail.example.com", "*.example.net"});
  CHECK(p->max_age == 86400);
  // RFC 8460 §4.4's policy-string, rebuilt from the parsed policy, parses back the same.
  CHECK(sts_policy_lines(*p) == std::vector<std::string>{"version: STSv1", "mode: enforce", "mx: mail.example.com",
                                                         "mx: *.example.net", "max_age: 86400"});
  std::string joined;
  for (const auto& l : sts_policy_lines(*p)) joined += l + "\n";
  auto again = parse_sts_policy(joined, why);
  REQUIRE(again);
  CHECK(again->mx == p->mx);
  auto lf = parse_sts_policy("mode: testing\nmax_age: 0\nversion: STSv1\nmx: a.test\nfuture: ignored\n", why);
  REQUIRE(lf);
  CHECK(lf->mode == sts_mode::testing);
  CHECK(parse_sts_policy("version: STSv1\nmode: none\nmax_age: 1\n", why));

  CHECK_FALSE(parse_sts_policy("version: STSv2\nmode: enforce\nmx: a.test\nmax_age: 1\n", why));
  CHECK_FALSE(parse_sts_policy("version: STSv1\nmode: enforce\nmax_age: 1\n", why));
  CHECK(why == "no mx line");
  CHECK_FALSE(parse_sts_policy("version: STSv1\nmode: strict\nmx: a.test\nmax_age: 1\n", why));
  CHECK_FALSE(parse_sts_policy("version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 31557601\n", why));
  CHECK_FALSE(parse_sts_policy("version: STSv1\nmode: enforce\nmx: a.test\nmax_age: -1\n", why));
  CHECK_FALSE(parse_sts_policy("version: STSv1\nmode: enforce\nmx: a.test\n", why));
  CHECK(why == "no max_age");
  CHECK_FALSE(parse_sts_policy("version: STSv1\nmode: enforce\nmx: a b\nmax_age: 5\n", why));
  CHECK_FALSE(parse_sts_policy("<html>not found</html>\n", why));
  CHECK_FALSE(parse_sts_policy(std::string(sts_max_policy + 1, 'a'), why));
}

TEST_CASE("MTA-STS mx patterns match one label", "[queue][sts]") {
  sts_policy p;
  p.mx = {"mail.example.com", "*.example.net"};
  CHECK(sts_mx_allowed(p, "MAIL.example.com."));
  CHECK(sts_mx_allowed(p, "mx1.example.net"));
  CHECK_FALSE(sts_mx_allowed(p, "a.mx1.example.net"));  // §4.1: one label only
  CHECK_FALSE(sts_mx_allowed(p, "example.net"));
  CHECK_FALSE(sts_mx_allowed(p, "evil-example.net"));
  CHECK_FALSE(sts_mx_allowed(p, "mail.example.org"));
}

TEST_CASE("MTA-STS policy expiry", "[queue][sts]") {
  sts_policy p;
  p.fetched = 1000;
  p.max_age = 60;
  CHECK_FALSE(p.expired(1059));
  CHECK(p.expired(1060));
}
