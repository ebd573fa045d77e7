#include "xmpp/modules/push/proto/throttle.hpp"

using hearth::xmpp::push::throttle;

namespace {
constexpr std::int64_t s = 1000000;
}

TEST_CASE("push throttle: one notification per interval while messages wait", "[push]") {
  throttle t(60 * s);
  std::int64_t now = 1000 * s;
  CHECK(t.allow("a|app|n1", 1, now));           // the first waiting message wakes the phone
  CHECK_FALSE(t.allow("a|app|n1", 2, now + s));  // a flood right after does not
  CHECK_FALSE(t.allow("a|app|n1", 3, now + 59 * s));
  CHECK(t.allow("a|app|n2", 3, now + 2 * s));    // another device has its own pace
  CHECK(t.allow("a|app|n1", 4, now + 60 * s));   // the interval has passed: the count so far
  CHECK_FALSE(t.allow("a|app|n1", 5, now + 61 * s));
  // The client came back (its count starts again at 1): the next message notifies at once.
  CHECK(t.allow("a|app|n1", 1, now + 62 * s));
}

TEST_CASE("push throttle: interval 0 notifies every message; the table stays bounded", "[push]") {
  throttle every(0);
  for (std::size_t i = 1; i < 5; ++i) CHECK(every.allow("k", i, 10 * s));
  throttle t(10 * s, 4);
  for (int i = 0; i < 20; ++i) CHECK(t.allow("dev" + std::to_string(i), 1, i * s));
  CHECK(t.size() <= 4);
}
