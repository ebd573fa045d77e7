// The throttle on counts kept in the database (sql_throttle_state.hpp), on both engines. Two
// throttles, each with its own handle on one database, stand for two nodes.
#include "auth/sql_throttle_state.hpp"

#include <catch2/catch.hpp>

#include "tests/unit/test_database.hpp"

using namespace hearth::auth;
using namespace std::chrono;

namespace {
struct shared_clock {
  throttle::clock::time_point now = throttle::clock::time_point{} + hours(1000);
  throttle::clock_fn fn() {
    return [this] { return now; };
  }
};
}  // namespace

TEST_CASE("sql throttle state: delays and blocks counted on one node hold on the other", "[auth][throttle]") {
  hearth::test_database t(GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres));
  INFO(hearth::engine_name(t.engine));
  shared_clock clk;
  throttle a(throttle_config{}, clk.fn(), open_sql_throttle_state(t.target).value());
  throttle b(throttle_config{}, clk.fn(), open_sql_throttle_state(t.target).value());
  const char* ip = "192.0.2.7";
  const char* user = "Bob@Home.test";

  // Failures spread over both nodes make one count: 3 of them delay the next answer on either.
  a.record_failure(ip, user);
  b.record_failure(ip, user);
  CHECK(a.check(ip, "").delay == 0ms);
  a.record_failure(ip, user);
  CHECK(b.check(ip, "").delay == 1000ms);
  CHECK(b.check("198.51.100.1", "bob@home.test").delay == 1000ms);  // the account's count, case-folded
  CHECK(b.check("198.51.100.1", "bob@home.test", true).delay == 0ms);
  CHECK(a.account_limited("bob@home.test"));

  // The 10th failure, wherever it lands, blocks on both, once.
  int started = 0;
  for (int i = 3; i < 10; ++i) {
    auto st = (i % 2 ? a : b).record_failure(ip, user);
    started += st.ip ? 1 : 0;
  }
  CHECK(started == 1);
  auto v = a.check(ip, "alice@home.test");
  CHECK(v.blocked);
  CHECK(v.retry_after == seconds(900));
  CHECK(b.check(ip, "").blocked);
  // Another address: not refused for the account (it never failed for it), but slowed.
  v = b.check("198.51.100.1", user);
  CHECK_FALSE(v.blocked);
  CHECK(v.delay == 8000ms);
  CHECK(v.by == throttle::scope::account);

  // A success on one node forgets what that address failed for the account on both.
  a.record_failure("203.0.113.5", user);
  CHECK(b.check("203.0.113.5", user).blocked);
  b.record_success("203.0.113.5", user);
  CHECK_FALSE(a.check("203.0.113.5", user).blocked);

  // The block ends for both at the same time, and the count starts afresh.
  clk.now += seconds(899);
  CHECK(a.check(ip, "").blocked);
  clk.now += seconds(1);
  CHECK_FALSE(b.check(ip, "").blocked);
  CHECK(b.check(ip, "").delay == 0ms);
}

TEST_CASE("sql throttle state: the sliding window, and old rows pruned", "[auth][throttle]") {
  hearth::test_database t(GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres));
  INFO(hearth::engine_name(t.engine));
  shared_clock clk;
  throttle_config cfg;
  cfg.window_seconds = 60;
  auto state = open_sql_throttle_state(t.target).value();
  throttle th(cfg, clk.fn(), state);
  for (int i = 0; i < 4; ++i) th.record_failure("192.0.2.1", "");
  CHECK(th.check("192.0.2.1", "").delay == 2000ms);
  clk.now += seconds(61);
  CHECK(th.check("192.0.2.1", "").delay == 0ms);
  // Spread failures never reach the block.
  for (int i = 0; i < 30; ++i) {
    th.record_failure("192.0.2.1", "");
    clk.now += seconds(30);
  }
  CHECK_FALSE(th.check("192.0.2.1", "").blocked);

  // Keys whose failures all left the window go at the next prune (every 256th failure).
  for (int i = 0; i < 300; ++i) th.record_failure("10.0.0." + std::to_string(i), "");
  const auto full = th.size();
  CHECK(full >= 300);
  clk.now += seconds(120);
  for (int i = 0; i < 256; ++i) th.record_failure("10.1.0.1", "");
  CHECK(th.size() < full);
}
