#include "mail/queue/route.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::queue;

TEST_CASE("relay addresses need a host and a port", "[queue][route]") {
  auto r = parse_relay("smtp.example.net:587");
  REQUIRE(r);
  CHECK(r->host == "smtp.example.net");
  CHECK(r->port == 587);
  auto v4 = parse_relay("192.0.2.7:2525");
  REQUIRE(v4);
  CHECK(v4->host == "192.0.2.7");
  auto v6 = parse_relay("[2001:db8::1]:25");
  REQUIRE(v6);
  CHECK(v6->host == "2001:db8::1");
  CHECK(v6->port == 25);
  CHECK_FALSE(parse_relay("smtp.example.net"));
  CHECK_FALSE(parse_relay("smtp.example.net:"));
  CHECK_FALSE(parse_relay(":25"));
  CHECK_FALSE(parse_relay("host:0"));
  CHECK_FALSE(parse_relay("host:65536"));
  CHECK_FALSE(parse_relay("host:25x"));
  CHECK_FALSE(parse_relay("2001:db8::1:25"));
  CHECK_FALSE(parse_relay("[2001:db8::1]25"));
  CHECK_FALSE(parse_relay("user@host:25"));
}

TEST_CASE("route patterns: exact names, subdomains, everything", "[queue][route]") {
  CHECK(name_matches("outlook.com", "Outlook.COM."));
  CHECK_FALSE(name_matches("outlook.com", "hotmail.com"));
  CHECK(name_matches("*.mail.protection.outlook.com", "contoso-com.mail.protection.outlook.com"));
  CHECK(name_matches("*.mail.protection.outlook.com", "a.b.mail.protection.outlook.com."));
  CHECK_FALSE(name_matches("*.mail.protection.outlook.com", "mail.protection.outlook.com"));
  CHECK_FALSE(name_matches("*.outlook.com", "notoutlook.com"));
  CHECK(name_matches("*", "anything.example"));
  CHECK_FALSE(name_matches("", "example.org"));
}

TEST_CASE("the first matching route wins, by domain or by MX host", "[queue][route]") {
  std::vector<route> routes(3);
  routes[0].domains = {"hotmail.com", "outlook.com"};
  routes[0].relay = parse_relay("relay.example:587");
  routes[1].mx = {"*.mail.protection.outlook.com"};
  routes[1].fallback_relay = parse_relay("relay.example:587");
  routes[2].domains = {"*"};
  CHECK(route_for_domain(routes, "outlook.com") == &routes[0]);
  CHECK(route_for_domain(routes, "contoso.com") == &routes[2]);
  CHECK(route_for_mx(routes, {"mx1.contoso.com", "contoso-com.mail.protection.outlook.com"}) == &routes[1]);
  CHECK(route_for_mx(routes, {"mx1.contoso.com"}) == nullptr);
  CHECK(route_for_domain({}, "a.test") == nullptr);
}

TEST_CASE("blocklist refusals are recognised, content refusals are not", "[queue][route]") {
  auto ms = block_of(
      "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service "
      "provider since part of their network is on our block list (S3140). You can also refer your provider to "
      "http://mail.live.com/mail/troubleshooting.aspx#errors.",
      "5.7.1");
  REQUIRE(ms);
  CHECK(ms->list == "microsoft");
  CHECK(ms->delist == "http://mail.live.com/mail/troubleshooting.aspx#errors");

  auto ms2 = block_of("550 5.7.606 Access denied, banned sending IP [192.0.2.1].", "5.7.606");
  REQUIRE(ms2);
  CHECK(ms2->list == "microsoft");
  CHECK(ms2->delist == "https://sender.office.com");
  CHECK(block_of("550 5.7.705 Access denied, tenant has exceeded threshold", "5.7.705"));
  CHECK_FALSE(block_of("550 5.7.708 Access denied, traffic not accepted from this IP", "5.7.708"));
  CHECK_FALSE(block_of("550 5.7.605 something else", "5.7.605"));

  auto sh = block_of("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; "
                     "https://www.spamhaus.org/query/ip/192.0.2.1",
                     "5.7.1");
  REQUIRE(sh);
  CHECK(sh->list == "spamhaus");
  CHECK(sh->delist == "https://www.spamhaus.org/query/ip/192.0.2.1");
  auto sc = block_of("550 5.7.1 blocked, see bl.spamcop.net", "5.7.1");
  REQUIRE(sc);
  CHECK(sc->list == "spamcop");
  CHECK(sc->delist == "https://www.spamcop.net/bl.shtml");
  auto generic = block_of("550 5.7.1 Your IP is listed at dnsbl.example.net", "5.7.1");
  REQUIRE(generic);
  CHECK(generic->list == "blocklist");

  CHECK_FALSE(block_of("550 5.7.1 Message rejected as spam by Content Filtering", "5.7.1"));
  CHECK_FALSE(block_of("550 5.1.1 no such user", "5.1.1"));
  CHECK_FALSE(block_of("550 5.7.1 herbal marble", "5.7.1"));
  // A temporary reply naming a list is retried as usual, not re-routed.
  CHECK_FALSE(block_of("451 4.7.1 Client host blocked using zen.spamhaus.org", "4.7.1"));
  CHECK_FALSE(block_of("250 2.0.0 listed at nothing", "2.0.0"));
  CHECK_FALSE(block_of("", ""));
}
