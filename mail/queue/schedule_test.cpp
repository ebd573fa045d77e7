#include "mail/queue/schedule.hpp"

#include <catch2/catch.hpp>

using namespace hearth::mail::queue;
using namespace std::chrono_literals;

TEST_CASE("backoff: first retry, doubling, capped", "[queue][schedule]") {
  retry_policy p;  // the defaults: 5 min, doubling, 4 h cap, 5 days
  CHECK(retry_delay(p, 1) == 300);
  CHECK(retry_delay(p, 2) == 600);
  CHECK(retry_delay(p, 3) == 1200);
  CHECK(retry_delay(p, 6) == 9600);
  CHECK(retry_delay(p, 7) == 14400);  // 19200 capped at 4 h
  CHECK(retry_delay(p, 1000) == 14400);
  retry_policy fast{2s, 5s, 30s, 3s};
  CHECK(retry_delay(fast, 1) == 2);
  CHECK(retry_delay(fast, 2) == 4);
  CHECK(retry_delay(fast, 3) == 5);
  retry_policy zero{0s, 0s, 0s, 0s};
  CHECK(retry_delay(zero, 1) == 1);
}

TEST_CASE("give up and delay warning", "[queue][schedule]") {
  retry_policy p;
  const std::int64_t t0 = 1'000'000;
  CHECK(after_temporary_failure(p, t0, t0 + 3600) == verdict::retry);
  CHECK(after_temporary_failure(p, t0, t0 + 5 * 24 * 3600 - 1) == verdict::retry);
  CHECK(after_temporary_failure(p, t0, t0 + 5 * 24 * 3600) == verdict::give_up);
  CHECK_FALSE(delay_warning_due(p, t0, t0 + 3600, false));
  CHECK(delay_warning_due(p, t0, t0 + 4 * 3600, false));
  CHECK_FALSE(delay_warning_due(p, t0, t0 + 5 * 3600, true));  // once
}

TEST_CASE("NOTIFY", "[queue][schedule]") {
  CHECK(notify_wants("", "FAILURE"));
  CHECK(notify_wants("", "DELAY"));
  CHECK_FALSE(notify_wants("", "SUCCESS"));
  CHECK_FALSE(notify_wants("NEVER", "FAILURE"));
  CHECK(notify_wants("SUCCESS,failure", "FAILURE"));
  CHECK_FALSE(notify_wants("SUCCESS,FAILURE", "DELAY"));
}
