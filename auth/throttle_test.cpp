#include "auth/throttle.hpp"

#include <catch2/catch.hpp>

using namespace hearth::auth;
using namespace std::chrono;

namespace {
struct fake_clock {
  throttle::clock::time_point now = throttle::clock::time_point{} + hours(1000);
  throttle::clock_fn fn() {
    return [this] { return now; };
  }
};
}  // namespace

TEST_CASE("throttle: delay after 3 failures, block after 10, expiry") {
  fake_clock t;
  throttle th(throttle_config{}, t.fn());
  const char* ip = "192.0.2.7";
  const char* user = "bob@home.test";

  for (int i = 0; i < 3; ++i) {
    auto v = th.check(ip, user);
    CHECK_FALSE(v.blocked);
    CHECK(v.delay == milliseconds(0));
    auto st = th.record_failure(ip, user);
    CHECK_FALSE((st.ip || st.account));
  }
  // After 3 failures, answers are delayed 1 s, 2 s, 4 s, then 8 s at most.
  const milliseconds expected[] = {1000ms, 2000ms, 4000ms, 8000ms, 8000ms, 8000ms};
  for (int i = 0; i < 6; ++i) {
    auto v = th.check(ip, user);
    CHECK_FALSE(v.blocked);
    CHECK(v.delay == expected[i]);
    auto st = th.record_failure(ip, user);
    CHECK_FALSE((st.ip || st.account));
  }
  // The 10th failure starts the block.
  auto st = th.record_failure(ip, user);
  CHECK(st.ip);
  CHECK(st.account);
  auto v = th.check(ip, user);
  CHECK(v.blocked);
  CHECK(v.retry_after == seconds(900));
  // A different account from the same IP is blocked too (IP key), even from an address known
  // to that account: the per-IP penalty holds for everyone.
  CHECK(th.check(ip, "alice@home.test").blocked);
  CHECK(th.check(ip, "alice@home.test", true).blocked);
  // The account from another address is not refused: that address never failed for it. It
  // waits the longest delay, unless it has logged in to the account before.
  CHECK(th.account_limited(user));
  v = th.check("198.51.100.1", user);
  CHECK_FALSE(v.blocked);
  CHECK(v.delay == 8000ms);
  CHECK(v.by == throttle::scope::account);
  CHECK(th.check("198.51.100.1", user, true).delay == 0ms);
  CHECK_FALSE(th.check("198.51.100.1", "alice@home.test").blocked);
  CHECK_FALSE(th.account_limited("alice@home.test"));

  t.now += seconds(899);
  CHECK(th.check(ip, user).blocked);
  t.now += seconds(1);
  v = th.check(ip, user);
  CHECK_FALSE(v.blocked);
  CHECK(v.delay == 0ms);  // the count restarts after a block
}

TEST_CASE("throttle: failures leave the sliding window") {
  fake_clock t;
  throttle_config cfg;
  cfg.window_seconds = 60;
  throttle th(cfg, t.fn());
  for (int i = 0; i < 4; ++i) th.record_failure("192.0.2.1", "");
  CHECK(th.check("192.0.2.1", "").delay == 2000ms);
  t.now += seconds(61);
  CHECK(th.check("192.0.2.1", "").delay == 0ms);
  // Spread failures never reach the block.
  for (int i = 0; i < 30; ++i) {
    th.record_failure("192.0.2.1", "");
    t.now += seconds(30);
  }
  CHECK_FALSE(th.check("192.0.2.1", "").blocked);
}

TEST_CASE("throttle: the account's count never locks out a known address") {
  fake_clock t;
  throttle th(throttle_config{}, t.fn());
  for (int i = 0; i < 5; ++i) th.record_failure("192.0.2.1", "Bob@Home.test");
  CHECK(th.check("203.0.113.9", "bob@home.test").delay == 4000ms);  // account key, case-folded
  CHECK(th.check("203.0.113.9", "bob@home.test", true).delay == 0ms);
  // The owner's success elsewhere does not reset the guesser's count for the account.
  th.record_success("203.0.113.9", "bob@home.test");
  CHECK(th.check("203.0.113.9", "bob@home.test").delay == 4000ms);
  CHECK(th.check("192.0.2.1", "").delay == 4000ms);

  // A guesser spread over many addresses blocks the account for those that failed only.
  for (int i = 0; i < 4; ++i) th.record_failure("198.51.100." + std::to_string(i), "bob@home.test");
  auto st = th.record_failure("198.51.100.4", "bob@home.test");
  CHECK_FALSE(st.ip);
  CHECK(st.account);
  CHECK(th.check("198.51.100.3", "bob@home.test").blocked);
  CHECK(th.check("198.51.100.3", "bob@home.test").by == throttle::scope::account);
  CHECK(th.check("198.51.100.3", "bob@home.test").retry_after == seconds(900));
  CHECK_FALSE(th.check("198.51.100.3", "alice@home.test").blocked);
  CHECK_FALSE(th.check("203.0.113.9", "bob@home.test").blocked);
  CHECK(th.check("203.0.113.9", "bob@home.test", true).delay == 0ms);
  // An address that failed once and then got the password right is no longer refused.
  th.record_success("198.51.100.3", "bob@home.test");
  CHECK_FALSE(th.check("198.51.100.3", "bob@home.test").blocked);
  t.now += seconds(900);
  CHECK_FALSE(th.account_limited("bob@home.test"));
}

TEST_CASE("throttle: IPv6 counts per /64, memory is bounded") {
  CHECK(throttle_ip_key("2001:db8:1:2:aaaa::1") == throttle_ip_key("2001:db8:1:2:bbbb::2"));
  CHECK(throttle_ip_key("2001:db8:1:2::1") != throttle_ip_key("2001:db8:1:3::1"));
  CHECK(throttle_ip_key("::ffff:192.0.2.1") == throttle_ip_key("192.0.2.1"));
  CHECK(throttle_ip_key("192.0.2.1") != throttle_ip_key("192.0.2.2"));

  fake_clock t;
  throttle_config cfg;
  cfg.max_entries = 100;
  throttle th(cfg, t.fn());
  for (int i = 0; i < 1000; ++i) th.record_failure("10.0.0." + std::to_string(i), i % 2 ? "a@b.test" : "");
  CHECK(th.size() <= 100);
  // The most recent keys survive, the oldest were evicted.
  th.record_failure("10.0.0.999", "");
  th.record_failure("10.0.0.999", "");
  CHECK(th.check("10.0.0.999", "").delay == 1000ms);
  CHECK(th.check("10.0.0.0", "").delay == 0ms);
}
