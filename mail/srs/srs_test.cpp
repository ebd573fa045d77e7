#include "mail/srs/srs.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::srs;

namespace {
options opts() {
  options o;
  o.secret = "s3cret";
  o.domain = "fwd.test";
  return o;
}
constexpr std::int64_t now = 1796000000;  // day 20787: 20787 % 1024 = 307 = "JT"
constexpr std::int64_t day = 86400;
}  // namespace

TEST_CASE("srs: SRS0 as libsrs2 writes it") {
  // Expected values computed independently with Python's hmac/base64 (HMAC-SHA1 over the
  // lowercased fields, base64, first 4 characters), the way libsrs2 and postsrsd do.
  auto a = forward(opts(), "User@orig.example", now);
  REQUIRE(a);
  CHECK(*a == "SRS0=B7Ip=JT=orig.example=User@fwd.test");
  auto back = reverse(opts(), *a, now);
  REQUIRE(back);
  REQUIRE(back->has_value());
  CHECK(**back == "User@orig.example");
}

TEST_CASE("srs: an SRS0 sender from another forwarder becomes SRS1, which reverses to it") {
  auto a = forward(opts(), "SRS0=HHHH=TT=orig.example=user@hop1.example", now);
  REQUIRE(a);
  CHECK(*a == "SRS1=s6Xy=hop1.example==HHHH=TT=orig.example=user@fwd.test");
  auto back = reverse(opts(), *a, now);
  REQUIRE(back);
  REQUIRE(back->has_value());
  CHECK(**back == "SRS0=HHHH=TT=orig.example=user@hop1.example");
  // A further hop keeps the first forwarder and its part; only the hash changes.
  options other = opts();
  other.secret = "another";
  other.domain = "hop3.test";
  auto b = forward(other, *a, now);
  REQUIRE(b);
  CHECK(b->starts_with("SRS1="));
  CHECK(b->ends_with("=hop1.example==HHHH=TT=orig.example=user@hop3.test"));
  auto back2 = reverse(other, *b, now);
  REQUIRE(back2);
  REQUIRE(back2->has_value());
  CHECK(**back2 == "SRS0=HHHH=TT=orig.example=user@hop1.example");
}

TEST_CASE("srs: forged, tampered and expired addresses are refused") {
  auto a = forward(opts(), "alice@orig.example", now);
  REQUIRE(a);
  // Another secret made it: the hash does not match.
  options other = opts();
  other.secret = "guess";
  auto forged = forward(other, "alice@orig.example", now);
  REQUIRE(forged);
  REQUIRE(*forged != *a);
  auto f = reverse(opts(), *forged, now);
  REQUIRE_FALSE(f);
  CHECK(f.error().code == "srs.hash");
  // The target changed after hashing.
  std::string tampered = *a;
  tampered.replace(tampered.find("alice"), 5, "mallo");
  auto t = reverse(opts(), tampered, now);
  REQUIRE_FALSE(t);
  CHECK(t.error().code == "srs.hash");
  // Age: fine up to max_age_days, refused after.
  CHECK(reverse(opts(), *a, now + 21 * day));
  auto old = reverse(opts(), *a, now + 22 * day);
  REQUIRE_FALSE(old);
  CHECK(old.error().code == "srs.expired");
  // A stamp from the future (beyond the wrap) counts as old as well.
  auto future = forward(opts(), "alice@orig.example", now + 5 * day);
  REQUIRE(future);
  auto fu = reverse(opts(), *future, now);
  REQUIRE_FALSE(fu);
  CHECK(fu.error().code == "srs.expired");
  // Across the 1024-day wrap of the stamp.
  const std::int64_t before_wrap = (1024 * 20 - 1) * day + 100;
  auto w = forward(opts(), "alice@orig.example", before_wrap);
  REQUIRE(w);
  CHECK(reverse(opts(), *w, before_wrap + 3 * day));
}

TEST_CASE("srs: case changes on the way are tolerated, as libsrs2 does") {
  auto a = forward(opts(), "Alice@Orig.Example", now);
  REQUIRE(a);
  std::string lower;
  for (char c : *a) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto back = reverse(opts(), lower, now);
  REQUIRE(back);
  REQUIRE(back->has_value());
  CHECK(**back == "alice@orig.example");
}

TEST_CASE("srs: what is not ours or not SRS is left alone; malformed SRS is an error") {
  auto n = reverse(opts(), "bob@fwd.test", now);
  REQUIRE(n);
  CHECK_FALSE(n->has_value());
  auto other = reverse(opts(), "SRS0=B7Ip=JT=orig.example=User@elsewhere.test", now);
  REQUIRE(other);
  CHECK_FALSE(other->has_value());
  for (const char* bad : {"SRS0=x@fwd.test", "SRS0=B7Ip=JT=orig.example=@fwd.test", "SRS0=B7Ip=J=orig.example=u@fwd.test",
                          "SRS1=abcd@fwd.test", "SRS1=abcd=host.example=@fwd.test", "SRS0=B7Ip=J1=orig.example=u@fwd.test"}) {
    auto r = reverse(opts(), bad, now);
    CAPTURE(bad);
    CHECK_FALSE(r);
  }
  CHECK_FALSE(reverse(opts(), std::string(600, 'a') + "@fwd.test", now));
  // Senders at the SRS domain itself are not rewritten; a sender without a domain is refused.
  auto same = forward(opts(), "bob@FWD.test", now);
  REQUIRE(same);
  CHECK(*same == "bob@FWD.test");
  CHECK_FALSE(forward(opts(), "nodomain", now));
  CHECK(looks_like_srs("srs0+abc"));
  CHECK_FALSE(looks_like_srs("srs2=abc"));
  CHECK_FALSE(looks_like_srs("SRS0"));
}
