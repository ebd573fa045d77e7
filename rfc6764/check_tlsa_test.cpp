// `hearth dns check` of our own TLSA records (check_tlsa).
#include <catch2/catch.hpp>

#include "rfc6764/check.hpp"

using namespace hearth;
using namespace hearth::rfc6764;

namespace {

const std::string name = "_25._tcp.mail.example.org";
const std::string cur = "3 1 1 " + std::string(64, 'a');
const std::string next = "3 1 1 " + std::string(64, 'b');
const std::string old = "3 1 1 " + std::string(64, 'c');

observations seen(dns::status st, std::vector<std::string> values) {
  rrset r;
  r.st = st;
  r.values = std::move(values);
  observations o;
  o.put(question{name, "TLSA"}, r);
  return o;
}

}  // namespace

TEST_CASE("dns check: TLSA of our key") {
  zone_plan plan;
  plan.domain = "example.org";
  plan.records.push_back({name, "TLSA", cur, "", "DANE"});
  auto qs = questions_for(plan);
  REQUIRE(qs.size() == 1);
  CHECK(qs[0].type == "TLSA");
  CHECK(qs[0].name == name);

  // The published record is the current key (hex case and splitting do not matter).
  auto f = check_records(plan, seen(dns::status::ok, {"3 1 1 " + std::string(32, 'A') + " " + std::string(32, 'a')}), {});
  REQUIRE(f.size() == 1);
  CHECK(f[0].lvl == finding::ok);
  // An old key beside it during a rotation is fine.
  CHECK(check_tlsa(name, {cur}, seen(dns::status::ok, {old, cur})).lvl == finding::ok);
  // Only the old key: FAIL, with the record to publish and the rotation hint.
  auto bad = check_tlsa(name, {cur}, seen(dns::status::ok, {old}));
  CHECK(bad.lvl == finding::fail);
  CHECK(bad.detail.find(old) != std::string::npos);
  CHECK(bad.fix.find("publish " + name + ". TLSA " + cur) != std::string::npos);
  CHECK(bad.fix.find("current + next") != std::string::npos);
  // None published: FAIL with the record.
  auto none = check_tlsa(name, {cur}, seen(dns::status::nxdomain, {}));
  CHECK(none.lvl == finding::fail);
  CHECK(none.fix.find(cur) != std::string::npos);
  // The next key configured but not published: WARN; both: OK.
  auto w = check_tlsa(name, {cur, next}, seen(dns::status::ok, {cur}));
  CHECK(w.lvl == finding::warn);
  CHECK(w.fix.find(next) != std::string::npos);
  CHECK(check_tlsa(name, {cur, next}, seen(dns::status::ok, {next, cur})).lvl == finding::ok);
}
