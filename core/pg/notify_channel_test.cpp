// Two point-to-point channels on one PostgreSQL cluster (CTest starts it around this
// executable), as two nodes forwarding stanzas: each gets only what was sent to it, in order.
#include "core/pg/notify_channel.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

using namespace hearth;
using namespace std::chrono_literals;

namespace {

struct inbox {
  std::mutex m;
  std::vector<std::string> v;
  void add(std::string s) {
    std::lock_guard lk(m);
    v.push_back(std::move(s));
  }
  std::vector<std::string> get() {
    std::lock_guard lk(m);
    return v;
  }
};

template <class F>
bool eventually(F f) {
  auto end = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return f();
}

}  // namespace

TEST_CASE("notify_channel: channel names are valid identifiers, distinct per id") {
  auto a = pg::channel_name("hearth_xmpp_", "node-a.example");
  CHECK(a.size() == 12 + 16);
  CHECK(a == pg::channel_name("hearth_xmpp_", "node-a.example"));
  CHECK(a != pg::channel_name("hearth_xmpp_", "node_a.example"));
  for (char c : a) CHECK(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'));
}

TEST_CASE("notify_channel: messages reach the addressed node only, in order") {
  const char* url = std::getenv("HEARTH_TEST_PG_URL");
  if (!url) FAIL("HEARTH_TEST_PG_URL is not set: run through tests/e2e/lib/pg_cluster.py run --");
  const auto ca = pg::channel_name("t_nc_", "a"), cb = pg::channel_name("t_nc_", "b");
  pg::notify_channel a({url, ca}), b({url, cb});
  inbox got_a, got_b;
  a.start([&](std::string s) { got_a.add(std::move(s)); });
  b.start([&](std::string s) { got_b.add(std::move(s)); });
  REQUIRE(eventually([&] { return a.listener_pid() != 0 && b.listener_pid() != 0; }));
  CHECK(a.listener_pid() != b.listener_pid());
  for (int i = 0; i < 20; ++i) REQUIRE(a.send(cb, "to b " + std::to_string(i)));
  REQUIRE(b.send(ca, "to a"));
  REQUIRE(eventually([&] { return got_b.get().size() == 20 && got_a.get().size() == 1; }));
  auto v = got_b.get();
  for (int i = 0; i < 20; ++i) CHECK(v[i] == "to b " + std::to_string(i));
  CHECK(got_a.get()[0] == "to a");
  a.stop();
  b.stop();
  CHECK(a.dropped() == 0);
}
