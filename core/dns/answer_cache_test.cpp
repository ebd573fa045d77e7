// The resolver's answer cache: TTLs (RFC 2308 for negative answers), what is never kept, bounds.
#include "core/dns/answer_cache.hpp"

#include <catch2/catch.hpp>

using namespace hearth::dns;
using namespace std::chrono_literals;

namespace {

constexpr int txt = 16;
constexpr int a = 1;

cached_answer ok(std::string rdata) { return {status::ok, false, {std::move(rdata)}}; }
cached_answer with(status st) { return {st, false, {}}; }

}  // namespace

TEST_CASE("answer cache: kept for the TTL, by name and type", "[dns]") {
  answer_cache c;
  const auto t0 = answer_cache::clock::time_point{} + 1000s;
  CHECK(!c.get("example.test", txt, t0));
  c.put("example.test", txt, ok("v=spf1 -all"), 300, t0);
  auto got = c.get("example.test", txt, t0 + 299s);
  REQUIRE(got);
  CHECK(got->st == status::ok);
  CHECK(got->rdata == std::vector<std::string>{"v=spf1 -all"});
  CHECK(!c.get("example.test", a, t0));        // another type
  CHECK(!c.get("other.example.test", txt, t0));  // another name
  CHECK(!c.get("example.test", txt, t0 + 300s));  // expired
  CHECK(c.size() == 0);                           // and dropped

  // A secure answer stays secure (DANE and MTA-STS read it).
  c.put("_25._tcp.mx.example.test", 52, {status::ok, true, {"x"}}, 60, t0);
  CHECK(c.get("_25._tcp.mx.example.test", 52, t0)->secure);

  // A later answer replaces the kept one.
  c.put("example.test", txt, ok("v=spf1 mx -all"), 300, t0);
  c.put("example.test", txt, ok("v=spf1 a -all"), 300, t0 + 10s);
  CHECK(c.get("example.test", txt, t0 + 11s)->rdata == std::vector<std::string>{"v=spf1 a -all"});
}

TEST_CASE("answer cache: negative answers per RFC 2308, failures never", "[dns]") {
  answer_cache c({100, 86400s, 3600s});
  const auto t0 = answer_cache::clock::time_point{} + 1000s;
  c.put("nope.example.test", txt, with(status::nxdomain), 300, t0);
  c.put("example.test", a, with(status::nodata), 300, t0);
  CHECK(c.get("nope.example.test", txt, t0 + 10s)->st == status::nxdomain);
  CHECK(c.get("example.test", a, t0 + 10s)->st == status::nodata);
  // Capped: a negative answer is kept at most max_negative_ttl, a positive one max_ttl.
  c.put("long.example.test", txt, with(status::nxdomain), 86400, t0);
  c.put("pos.example.test", txt, ok("x"), 7 * 86400, t0);
  CHECK(c.get("long.example.test", txt, t0 + 3599s));
  CHECK(!c.get("long.example.test", txt, t0 + 3600s));
  CHECK(!c.get("pos.example.test", txt, t0 + 86400s));
  // No SOA in the answer (TTL 0), a temporary failure, a bogus answer: asked again.
  c.put("nosoa.example.test", txt, with(status::nxdomain), 0, t0);
  c.put("down.example.test", txt, with(status::temporary), 300, t0);
  c.put("bogus.example.test", txt, with(status::bogus), 300, t0);
  CHECK(!c.get("nosoa.example.test", txt, t0));
  CHECK(!c.get("down.example.test", txt, t0));
  CHECK(!c.get("bogus.example.test", txt, t0));
}

TEST_CASE("answer cache: bounded", "[dns]") {
  answer_cache c({3, 86400s, 3600s});
  const auto t0 = answer_cache::clock::time_point{} + 1000s;
  c.put("a.test", txt, ok("a"), 10, t0);
  c.put("b.test", txt, ok("b"), 100, t0);
  c.put("c.test", txt, ok("c"), 100, t0);
  CHECK(c.size() == 3);
  // Full: the expired entry makes room, the live ones stay.
  c.put("d.test", txt, ok("d"), 100, t0 + 20s);
  CHECK(c.size() == 3);
  CHECK(c.get("b.test", txt, t0 + 20s));
  CHECK(c.get("d.test", txt, t0 + 20s));
  // Full of live entries: emptied, then the new one kept.
  c.put("e.test", txt, ok("e"), 100, t0 + 20s);
  CHECK(c.size() == 1);
  CHECK(c.get("e.test", txt, t0 + 20s));
  // Replacing a kept name does not count as a new entry.
  c.put("f.test", txt, ok("f"), 100, t0 + 20s);
  c.put("g.test", txt, ok("g"), 100, t0 + 20s);
  c.put("g.test", txt, ok("g2"), 100, t0 + 20s);
  CHECK(c.size() == 3);
}
