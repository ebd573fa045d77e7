#include "mail/filter/decision_store.hpp"

#include <catch2/catch.hpp>

#include "mail/filter/decision_recorder.hpp"
#include "tests/unit/test_database.hpp"

using namespace hearth::mail;
using namespace hearth::mail::filter;

namespace {

// Every case runs on both engines.
struct engine_db {
  hearth::test_database db{GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres)};
};

smtp::inbound_decision rec(std::int64_t t, std::string ip, std::string from, std::vector<std::string> to,
                           std::string outcome = "accepted") {
  smtp::inbound_decision d;
  d.time = t;
  d.session = "s" + std::to_string(t);
  d.ip = std::move(ip);
  d.helo = "client.example";
  d.from = std::move(from);
  d.rcpts = std::move(to);
  d.stage = "data";
  d.outcome = std::move(outcome);
  d.reply = "250 2.0.0 Ok";
  return d;
}

constexpr std::int64_t t0 = 1'700'000'000;

}  // namespace

TEST_CASE("decisions: stored, searched by address and IP, newest first", "[filter][decisions]") {
  engine_db t;
  auto st = open_decision_store(t.db.target).value();
  auto spam = rec(t0 + 2, "203.0.113.9", "Spammer@Bad.example", {"bob@our.example"}, "refused");
  spam.filter = "client";
  spam.stage = "rcpt";
  spam.reply = "554 5.7.1 Client host [203.0.113.9] blocked using zen.example";
  spam.dnsbl = "zen.example";
  spam.score = 3.5;
  spam.symbols = "DNSBL_zen.example(3.5)";
  REQUIRE(st->add({rec(t0, "192.0.2.1", "a@friend.example", {"bob@our.example", "carol@our.example"}),
                   rec(t0 + 1, "192.0.2.1", "a@friend.example", {"carol@our.example"}), spam}));
  REQUIRE(st->add({}));

  auto all = st->search({}).value();
  REQUIRE(all.size() == 3);
  CHECK(all[0].time == t0 + 2);  // newest first
  CHECK(all[0].seq > all[1].seq);
  CHECK(all[0].from == "spammer@bad.example");
  CHECK(all[0].dnsbl == "zen.example");
  CHECK(all[0].outcome == "refused");
  CHECK(all[0].score == Approx(3.5));
  CHECK(all[2].rcpts == std::vector<std::string>{"bob@our.example", "carol@our.example"});

  auto bob = st->search({"BOB@our.example", "", 0, 100}).value();
  REQUIRE(bob.size() == 2);  // a recipient, case-insensitive
  CHECK(bob[0].ip == "203.0.113.9");
  CHECK(st->search({"spammer@bad.example", "", 0, 100}).value().size() == 1);  // the sender
  CHECK(st->search({"", "192.0.2.1", 0, 100}).value().size() == 2);
  CHECK(st->search({"carol@our.example", "203.0.113.9", 0, 100}).value().empty());
  CHECK(st->search({"", "", 0, 1}).value().size() == 1);
  CHECK(st->search({"", "", t0 + 1, 100}).value().size() == 1);  // older than t0+1

  // A hostile client's long HELO is cut, not refused.
  auto big = rec(t0 + 3, "192.0.2.2", "x@y.example", std::vector<std::string>(150, "r@our.example"));
  big.helo = std::string(5000, 'h');
  REQUIRE(st->add({big}));
  auto got = st->search({"", "192.0.2.2", 0, 10}).value();
  REQUIRE(got.size() == 1);
  CHECK(got[0].helo.size() == max_decision_field);
  CHECK(got[0].rcpts == std::vector<std::string>{"r@our.example"});  // the same address once
}

TEST_CASE("decisions: each record gets its own recipients, in pages of many records", "[filter][decisions]") {
  engine_db t;
  auto st = open_decision_store(t.db.target).value();
  std::vector<smtp::inbound_decision> v;
  for (int i = 0; i < 450; ++i) {
    std::vector<std::string> to{"u" + std::to_string(i) + "@our.example"};
    if (i % 3 == 0) to.push_back("all@our.example");
    if (i % 7 == 0) to.clear();
    v.push_back(rec(t0 + i, "192.0.2.1", "a@x.example", to));
  }
  // More recipients than kept: the first max_decision_rcpts.
  std::vector<std::string> many;
  for (std::size_t i = 0; i < max_decision_rcpts + 20; ++i) many.push_back("m" + std::to_string(1000 + i) + "@our.example");
  v.push_back(rec(t0 + 999, "192.0.2.3", "b@x.example", many));
  REQUIRE(st->add(v));

  auto all = st->search({"", "", 0, 1000}).value();
  REQUIRE(all.size() == 451);
  CHECK(all[0].rcpts.size() == max_decision_rcpts);
  CHECK(all[0].rcpts.front() == "m1000@our.example");
  for (std::size_t k = 1; k < all.size(); ++k) {
    const int i = static_cast<int>(all[k].time - t0);
    std::vector<std::string> want;
    if (i % 7 != 0) {
      if (i % 3 == 0) want.push_back("all@our.example");
      want.push_back("u" + std::to_string(i) + "@our.example");
    }
    INFO("record " << i);
    CHECK(all[k].rcpts == want);
  }
  auto shared = st->search({"all@our.example", "", 0, 1000}).value();
  std::size_t with_all = 0;
  for (int i = 0; i < 450; ++i) with_all += i % 3 == 0 && i % 7 != 0;
  CHECK(shared.size() == with_all);
  CHECK(st->search({"u449@our.example", "", 0, 1000}).value().size() == 1);
}

TEST_CASE("decisions: retention by age and by count", "[filter][decisions]") {
  engine_db t;
  auto st = open_decision_store(t.db.target).value();
  std::vector<smtp::inbound_decision> v;
  for (int i = 0; i < 10; ++i) v.push_back(rec(t0 + i, "192.0.2.1", "a@x.example", {"u@our.example"}));
  REQUIRE(st->add(v));
  CHECK(st->prune(t0 + 3, 100).value() == 3);  // t0, t0+1, t0+2
  CHECK(st->search({}).value().size() == 7);
  CHECK(st->prune(0, 4).value() == 3);  // the three oldest of the seven
  auto left = st->search({}).value();
  REQUIRE(left.size() == 4);
  CHECK(left.back().time == t0 + 6);
  CHECK(st->search({"u@our.example", "", 0, 100}).value().size() == 4);  // recipients went with them
}

TEST_CASE("decisions: the recorder writes in batches, off the caller's thread", "[filter][decisions]") {
  engine_db t;
  std::shared_ptr<decision_store> st(open_decision_store(t.db.target).value());
  {
    // A long interval: only flush() and stop() write here.
    decision_recorder r(st, retention{365 * 86400LL * 100, 1000}, std::chrono::hours(1));
    for (int i = 0; i < 5; ++i) r.record(rec(t0 + i, "192.0.2.1", "a@x.example", {"u@our.example"}));
    CHECK(st->search({}).value().empty());  // queued, not written yet
    r.flush();
    CHECK(st->search({}).value().size() == 5);
    r.record(rec(t0 + 9, "192.0.2.9", "a@x.example", {"u@our.example"}));
    r.stop();  // writes what waits
    r.record(rec(t0 + 10, "192.0.2.10", "a@x.example", {"u@our.example"}));  // after stop: ignored
  }
  CHECK(st->search({}).value().size() == 6);
  CHECK(st->search({"", "192.0.2.9", 0, 10}).value().size() == 1);
}
