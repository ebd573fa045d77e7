#include "rfc6764/mta_sts.hpp"

#include <catch2/catch.hpp>

using namespace hearth;

TEST_CASE("MTA-STS policy lists every MX and its id follows the policy") {
  config::config c;
  c.hostname = "mail.example.org";
  c.zone_mta_sts_mode = "enforce";
  c.zone_backup_mx = {"backup.example.net"};
  c.zone_mta_sts_max_age = 86400;
  CHECK(rfc6764::mta_sts_policy(c) ==
        "version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmx: backup.example.net\r\nmax_age: 86400\r\n");
  auto id = rfc6764::mta_sts_id(c);
  CHECK(id.size() == 20);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  c.zone_mta_sts_mode = "testing";
  CHECK(rfc6764::mta_sts_id(c) != id);
}
