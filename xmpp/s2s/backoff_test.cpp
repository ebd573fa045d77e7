#include <catch2/catch.hpp>
#include <vector>

#include "xmpp/s2s/backoff.hpp"

using namespace hearth::xmpp;
using std::chrono::seconds;

namespace {
// Fails at once after each wait, as against a remote that closes every stream; returns the
// waits until the policy gives up.
std::vector<long> series(s2s_backoff& b, s2s_backoff::clock::time_point& t) {
  std::vector<long> waits;
  for (int i = 0; i < 100; ++i) {
    auto w = b.failed(t);
    if (!w) break;
    waits.push_back(long(w->count()));
    t += *w;
  }
  return waits;
}
}  // namespace

TEST_CASE("s2s backoff doubles up to its ceiling, then gives up") {
  s2s_backoff b(seconds(1), seconds(120), seconds(600));
  auto t = s2s_backoff::clock::time_point{};
  // Attempts at 0, 1, 3, 7 ... 127 s, then 120 s apart (247, 367, 487): the next one, at 607 s,
  // would start after the 600 s give-up time.
  CHECK(series(b, t) == std::vector<long>{1, 2, 4, 8, 16, 32, 64, 120, 120, 120});
  CHECK(b.failures() == 11);
  CHECK_FALSE(b.failed(t).has_value());  // stays given up
}

TEST_CASE("s2s backoff with a short give-up time") {
  s2s_backoff b(seconds(1), seconds(120), seconds(4));
  auto t = s2s_backoff::clock::time_point{};
  CHECK(series(b, t) == std::vector<long>{1, 2});
}

TEST_CASE("s2s backoff: progress starts a new series") {
  s2s_backoff b(seconds(1), seconds(120), seconds(600));
  auto t = s2s_backoff::clock::time_point{};
  CHECK(b.failed(t) == seconds(1));
  CHECK(b.failed(t + seconds(1)) == seconds(2));
  b.progressed();
  t += seconds(3600);
  CHECK(b.failures() == 0);
  CHECK(b.failed(t) == seconds(1));  // from the start, and the give-up clock restarted
}
