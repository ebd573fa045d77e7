#include "mail/filter/greylist.hpp"

#include <catch2/catch.hpp>

#include "mail/filter/net.hpp"
#include "tests/unit/test_database.hpp"

using namespace hearth::mail::filter;

namespace {

// Every case that keeps state runs on both engines.
struct fixture {
  hearth::test_database t{GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres)};
  std::shared_ptr<greylist> g;
  explicit fixture(greylist_times times = {300, 4 * 3600, 36 * 86400}) {
    g = greylist::open(t.target, times).value();
  }
  grey_outcome at(std::int64_t now, std::string ip, std::string from = "a@sender.example",
                  std::string to = "u@our.example", std::string pool = "") {
    return g->check({network_key(ip), from, to, pool}, now).value().outcome;
  }
};

constexpr std::int64_t t0 = 1'700'000'000;

}  // namespace

TEST_CASE("greylist: first try, early retry, retry after passtime, then white", "[filter][greylist]") {
  fixture f;
  auto r = f.g->check({network_key("192.0.2.7"), "a@sender.example", "u@our.example", ""}, t0).value();
  CHECK(r.outcome == grey_outcome::first);
  CHECK(r.wait == 300);
  auto e = f.g->check({network_key("192.0.2.7"), "a@sender.example", "u@our.example", ""}, t0 + 100).value();
  CHECK(e.outcome == grey_outcome::early);
  CHECK(e.wait == 200);
  CHECK(f.at(t0 + 301, "192.0.2.7") == grey_outcome::passed);
  CHECK(f.at(t0 + 302, "192.0.2.7") == grey_outcome::white);
  // Another recipient or sender is another triplet.
  CHECK(f.at(t0 + 303, "192.0.2.7", "a@sender.example", "v@our.example") == grey_outcome::first);
  CHECK(f.at(t0 + 303, "192.0.2.7", "b@sender.example") == grey_outcome::first);
}

TEST_CASE("greylist: a second address of the same /24 is the same client", "[filter][greylist]") {
  fixture f;
  CHECK(f.at(t0, "192.0.2.7") == grey_outcome::first);
  CHECK(f.at(t0 + 400, "192.0.2.200") == grey_outcome::passed);  // retry from a neighbour
  CHECK(f.at(t0 + 500, "192.0.2.9") == grey_outcome::white);
  CHECK(f.at(t0 + 500, "192.0.3.9") == grey_outcome::first);     // another /24
  CHECK(f.at(t0, "2001:db8:1:2::1") == grey_outcome::first);
  CHECK(f.at(t0 + 400, "2001:db8:1:2:ffff::9") == grey_outcome::passed);  // same /64
  CHECK(f.at(t0 + 400, "2001:db8:1:3::1") == grey_outcome::first);
}

TEST_CASE("greylist: the provider pool case", "[filter][greylist]") {
  fixture f;
  // The provider's first host passes the normal way...
  CHECK(f.at(t0, "198.51.100.1", "x@big.example", "u@our.example", "out.big.example") == grey_outcome::first);
  CHECK(f.at(t0 + 600, "198.51.100.1", "x@big.example", "u@our.example", "out.big.example") == grey_outcome::passed);
  // ...then the same domain from another host of the pool, another network, passes at once,
  CHECK(f.at(t0 + 700, "203.0.113.5", "y@big.example", "w@our.example", "out.big.example") == grey_outcome::pool);
  // and that triplet is white from then on (even without its PTR).
  CHECK(f.at(t0 + 800, "203.0.113.5", "y@big.example", "w@our.example", "") == grey_outcome::white);
  // Not another domain from the pool, not the domain from another pool, not without a pool.
  CHECK(f.at(t0 + 700, "198.18.1.6", "y@other.example", "w@our.example", "out.big.example") == grey_outcome::first);
  CHECK(f.at(t0 + 700, "198.18.0.7", "y@big.example", "w@our.example", "evil.example") == grey_outcome::first);
  CHECK(f.at(t0 + 700, "192.0.2.8", "y@big.example", "w@our.example", "") == grey_outcome::first);
}

TEST_CASE("greylist: expiry of grey and white entries", "[filter][greylist]") {
  fixture f({300, 3600, 86400});
  CHECK(f.at(t0, "192.0.2.7") == grey_outcome::first);
  // The retry comes after greyexp: starts over.
  CHECK(f.at(t0 + 3601, "192.0.2.7") == grey_outcome::first);
  CHECK(f.at(t0 + 3601 + 300, "192.0.2.7") == grey_outcome::passed);
  const std::int64_t passed = t0 + 3901;
  CHECK(f.at(passed + 86399, "192.0.2.7") == grey_outcome::white);  // renewed here
  CHECK(f.at(passed + 86399 + 86399, "192.0.2.7") == grey_outcome::white);
  // Unused for more than whiteexp: greylisted again.
  CHECK(f.at(passed + 3 * 86400 + 10, "192.0.2.7") == grey_outcome::first);
  CHECK(f.g->purge(passed + 10 * 86400).value() >= 1);
  CHECK(f.at(passed + 10 * 86400, "192.0.2.7") == grey_outcome::first);
}

TEST_CASE("greylist: the state survives reopening the database", "[filter][greylist]") {
  fixture f;
  CHECK(f.at(t0, "192.0.2.7") == grey_outcome::first);
  auto g2 = greylist::open(f.t.target, f.g->times()).value();
  CHECK(g2->check({network_key("192.0.2.7"), "a@sender.example", "u@our.example", ""}, t0 + 400).value().outcome ==
        grey_outcome::passed);
}

TEST_CASE("network keys, address lists, HELO, pools", "[filter][net]") {
  CHECK(network_key("192.0.2.7") == "192.0.2.0/24");
  CHECK(network_key("::ffff:192.0.2.7") == "192.0.2.0/24");
  CHECK(network_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64");
  CHECK(network_key("junk") == "junk");
  std::string bad;
  auto l = address_list::parse({"127.0.0.0/8", "192.0.2.5", "2001:db8::/32", "Trusted.Example."}, &bad);
  REQUIRE(l);
  CHECK(l->contains_ip("127.1.2.3"));
  CHECK(l->contains_ip("::ffff:127.0.0.1"));
  CHECK(l->contains_ip("192.0.2.5"));
  CHECK_FALSE(l->contains_ip("192.0.2.6"));
  CHECK(l->contains_ip("2001:db8:ffff::1"));
  CHECK_FALSE(l->contains_ip("2001:db9::1"));
  CHECK(l->contains_domain("trusted.example"));
  CHECK(l->contains_domain("mx1.trusted.example"));
  CHECK_FALSE(l->contains_domain("untrusted.example"));
  CHECK_FALSE(address_list::parse({"192.0.2.0/33"}, &bad));
  CHECK(bad == "192.0.2.0/33");
  CHECK_FALSE(address_list::parse({"not a name"}));
  CHECK(helo_is_fqdn("mail.example.org"));
  CHECK(helo_is_fqdn("[192.0.2.1]"));
  CHECK_FALSE(helo_is_fqdn("localhost"));
  CHECK_FALSE(helo_is_fqdn("192.0.2.1"));
  CHECK_FALSE(helo_is_fqdn("bad_name.example"));
  CHECK_FALSE(helo_is_fqdn(""));
  CHECK(pool_of("mail-a.out.big.example.") == "out.big.example");
  CHECK(pool_of("mx.example.net") == "example.net");
  CHECK(pool_of("example.net") == "example.net");
  CHECK(is_private_ip("127.0.0.1"));
  CHECK(is_private_ip("10.1.2.3"));
  CHECK_FALSE(is_private_ip("192.0.2.1"));
}

TEST_CASE("greylist: sender normalization (VERP, BATV)", "[filter][greylist]") {
  CHECK(normalize_sender("List-Bounces+1234@Lists.Example") == "list-bounces+#@lists.example");
  CHECK(normalize_sender("bounce-98765-7@mail.example") == "bounce-#-#@mail.example");
  CHECK(normalize_sender("prvs=0a1b2c3d4=alice@example.org") == "alice@example.org");
  CHECK(normalize_sender("btv1==0a1b2c3d4==alice@example.org") == "alice@example.org");
  CHECK(normalize_sender("alice@example.org") == "alice@example.org");
  CHECK(normalize_sender("") == "");
  CHECK(normalize_sender("user42@host7.example") == "user#@host7.example");
  // A retry with a new VERP address is the same triplet.
  fixture f;
  auto at = [&](std::int64_t now, const char* from) {
    return f.g->check({network_key("192.0.2.7"), normalize_sender(from), "u@our.example", ""}, now).value().outcome;
  };
  CHECK(at(t0, "list-bounces+111@lists.example") == grey_outcome::first);
  CHECK(at(t0 + 400, "list-bounces+222@lists.example") == grey_outcome::passed);
}

TEST_CASE("greylist: entries lists the remembered triplets, newest first, unexpired only", "[filter][greylist]") {
  fixture f;
  CHECK(f.at(t0, "192.0.2.7", "a@one.example") == grey_outcome::first);
  CHECK(f.at(t0 + 10, "198.51.100.1", "b@two.example") == grey_outcome::first);
  CHECK(f.at(t0 + 400, "192.0.2.7", "a@one.example") == grey_outcome::passed);
  auto e = f.g->entries(t0 + 500, 10).value();
  REQUIRE(e.size() == 2);
  CHECK(e[0].sender == "b@two.example");
  CHECK_FALSE(e[0].passed);
  CHECK(e[0].network == "198.51.100.0/24");
  CHECK(e[1].sender == "a@one.example");
  CHECK(e[1].passed);
  CHECK(f.g->entries(t0 + 500, 1).value().size() == 1);
  // The grey entry expires after greyexp; the white one stays.
  auto later = f.g->entries(t0 + 5 * 3600, 10).value();
  REQUIRE(later.size() == 1);
  CHECK(later[0].sender == "a@one.example");
}
