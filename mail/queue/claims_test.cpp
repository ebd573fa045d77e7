// Several nodes on one database: the queue store's claims (store.hpp). Two stores opened with
// different node ids on one database stand for two nodes; times are the `now` arguments, so
// leases run out without waiting.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <unistd.h>

#include "mail/queue/store.hpp"
#include "tests/unit/test_database.hpp"

using namespace hearth::mail::queue;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

fs::path claims_dir(const std::string& name) {
  auto p = fs::temp_directory_path() / ("hearth-claims-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p;
}

envelope to(std::vector<std::string> rcpts) {
  envelope e;
  e.from = "alice@a.test";
  for (auto& r : rcpts) e.rcpts.push_back({r, "", ""});
  return e;
}

std::set<std::int64_t> rowids(const std::vector<message_row>& ms) {
  std::set<std::int64_t> out;
  for (const auto& m : ms)
    for (const auto& r : m.rcpts) out.insert(r.rowid);
  return out;
}

bool disjoint(const std::set<std::int64_t>& a, const std::set<std::int64_t>& b) {
  return std::none_of(a.begin(), a.end(), [&](auto x) { return b.count(x) > 0; });
}

outcome deferred(std::int64_t rowid, std::int64_t next) {
  outcome o;
  o.rowid = rowid;
  o.k = outcome::kind::deferred;
  o.attempts = 1;
  o.next_attempt = next;
  o.last_reply = "451 4.3.0 later";
  return o;
}

}  // namespace

TEST_CASE("node id: made once per data directory, then read back", "[queue][claims]") {
  auto a = claims_dir("id-a"), b = claims_dir("id-b");
  auto first = node_id(a).value();
  CHECK(first.rfind("node-", 0) == 0);
  CHECK(node_id(a).value() == first);
  CHECK(node_id(b).value() != first);
  // An administrator may name the node; a damaged file is an error, not a new id.
  std::ofstream(a / "node-id") << "mx1.home.test\n";
  CHECK(node_id(a).value() == "mx1.home.test");
  std::ofstream(a / "node-id") << "two words\n";
  CHECK(node_id(a).error().code == "queue.io");
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST_CASE("store claims: two nodes get disjoint recipients; leases expire, renew and release", "[queue][claims]") {
  hearth::test_database t(GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres));
  INFO(hearth::engine_name(t.engine));
  auto dir_a = claims_dir("a"), dir_b = claims_dir("b");
  auto a = store::open(dir_a, t.target, {"node-a", 60s}).value();
  auto b = store::open(dir_b, t.target, {"node-b", 60s}).value();
  CHECK(a->node() == "node-a");
  std::set<std::int64_t> all;
  for (int i = 0; i < 4; ++i) {
    auto id = a->add(to({"r" + std::to_string(i) + "@x.test", "s" + std::to_string(i) + "@y.test"}), "Subject: x\r\n\r\n",
                     100 + i)
                  .value();
    for (const auto& r : a->get(id).value().rcpts) all.insert(r.rowid);
  }
  REQUIRE(all.size() == 8);
  // On PostgreSQL node B reads what node A queued: the bytes are in the database, not in A's
  // data directory.
  if (t.engine == hearth::sql::engine::postgres)
    CHECK(b->read_message(a->list().value().at(0).id).value() == "Subject: x\r\n\r\n");

  // Each node's due() claims its share; the other's claims are invisible to it.
  auto da = a->due(110, 2).value();
  auto db = b->due(110, 10).value();
  CHECK(da.size() == 2);
  CHECK(db.size() == 2);
  auto ra = rowids(da), rb = rowids(db);
  CHECK(disjoint(ra, rb));
  std::set<std::int64_t> both = ra;
  both.insert(rb.begin(), rb.end());
  CHECK(both == all);
  // A node sees its own claims again (the agent's next pass), never the other's.
  CHECK(rowids(a->due(120, 10).value()) == ra);
  CHECK(rowids(b->due(120, 10).value()) == rb);

  // Node A dies: its claims (until 120 + 60) run out, and B takes them.
  CHECK(rowids(b->due(179, 10).value()) == rb);
  auto taken = b->due(181, 10).value();
  CHECK(rowids(taken) == all);
  CHECK(a->due(181, 10).value().empty());

  // B renews while it delivers: at 250 its claims (taken at 181) would have run out.
  CHECK(b->renew_claims(200).value() == 8);
  CHECK(a->due(250, 10).value().empty());

  // An attempt settled as deferred releases that recipient: A may take it when due again.
  const auto one = *rb.begin();
  std::string one_msg;
  for (const auto& msg : taken)
    for (const auto& r : msg.rcpts)
      if (r.rowid == one) one_msg = msg.id;
  REQUIRE(b->record(one_msg, {deferred(one, 255)}).has_value());
  CHECK(rowids(a->due(255, 10).value()) == std::set<std::int64_t>{one});

  // One message given back (the agent could not start it): A may take it at once.
  REQUIRE(b->release_message(da.front().id).has_value());
  CHECK(rowids(a->due(255, 1).value()) == rowids({da.front()}));
  CHECK(a->release_claims().value() == 3);  // and the deferred one it took at 255

  // A clean stop releases every claim at once, without waiting for the lease.
  CHECK(b->release_claims().value() == 5);
  CHECK(rowids(a->due(256, 10).value()) == all);
  CHECK(b->due(256, 10).value().empty());
  fs::remove_all(dir_a);
  fs::remove_all(dir_b);
}

TEST_CASE("store claims: two nodes draining one queue at once deliver each recipient once", "[queue][claims]") {
  hearth::test_database t(GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres));
  INFO(hearth::engine_name(t.engine));
  auto dir_a = claims_dir("drain-a"), dir_b = claims_dir("drain-b");
  auto a = store::open(dir_a, t.target, {"node-a", 60s}).value();
  auto b = store::open(dir_b, t.target, {"node-b", 60s}).value();
  constexpr int messages = 30;
  for (int i = 0; i < messages; ++i) REQUIRE(a->add(to({"r" + std::to_string(i) + "@x.test"}), "x", 100).has_value());

  std::mutex m;
  std::vector<std::int64_t> delivered;
  std::vector<std::string> errors;
  auto node = [&](store& s) {
    // Bounded: every pass takes at least one message or finds the queue empty.
    for (int pass = 0; pass < 4 * messages; ++pass) {
      auto due = s.due(100, 2);
      if (!due) {
        std::lock_guard lk(m);
        errors.push_back(due.error().code + " " + due.error().message);
        return;
      }
      if (due->empty()) {
        if (s.list().value().empty()) return;
        std::this_thread::yield();
        continue;
      }
      for (const auto& msg : *due) {
        std::vector<outcome> os;
        for (const auto& r : msg.rcpts) {
          os.push_back({});
          os.back().rowid = r.rowid;
          std::lock_guard lk(m);
          delivered.push_back(r.rowid);
        }
        if (auto r = s.record(msg.id, os); !r) {
          std::lock_guard lk(m);
          errors.push_back(r.error().code + " " + r.error().message);
        }
      }
    }
  };
  std::thread ta([&] { node(*a); }), tb([&] { node(*b); });
  ta.join();
  tb.join();
  CHECK(errors.empty());
  std::set<std::int64_t> unique(delivered.begin(), delivered.end());
  CHECK(delivered.size() == unique.size());
  CHECK(unique.size() == static_cast<std::size_t>(messages));
  CHECK(a->list().value().empty());
  fs::remove_all(dir_a);
  fs::remove_all(dir_b);
}
