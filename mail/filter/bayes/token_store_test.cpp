#include <catch2/catch.hpp>

#include "mail/filter/bayes/engine.hpp"
#include "mail/filter/bayes/token_store.hpp"
#include "tests/unit/test_database.hpp"

using namespace hearth::mail::filter::bayes;

namespace {
// Every case runs on both engines.
struct temp_db {
  hearth::test_database db{GENERATE(hearth::sql::engine::sqlite, hearth::sql::engine::postgres)};
};
}  // namespace

TEST_CASE("learn, never twice, flip, unlearn, forget", "[bayes]") {
  temp_db t;
  auto s = open_token_store(t.db.target);
  REQUIRE(s);
  auto& st = **s;
  auto r = st.learn({{"alice@home.test", "m1", true, {1, 2, 3}, true}, {"", "m2", false, {3, 4}, false}});
  REQUIRE(r);
  CHECK((*r)[0] == learn_outcome::learnt);
  CHECK(st.totals("alice@home.test").value().spam == 2);  // hers and the site's share
  CHECK(st.totals("").value().spam == 1);
  CHECK(st.totals("").value().ham == 1);
  auto c = st.lookup("alice@home.test", {1, 3, 9}).value();
  CHECK(c[0].spam == 2);
  CHECK(c[1].spam == 2);
  CHECK(c[1].ham == 1);
  CHECK(c[2].spam == 0);
  // The same lesson again changes nothing.
  CHECK(st.learn({{"alice@home.test", "m1", true, {1, 2, 3}, true}}).value()[0] == learn_outcome::already);
  CHECK(st.lookup("", {1}).value()[0].spam == 1);
  // The other way: unlearnt first.
  CHECK(st.learn({{"alice@home.test", "m1", false, {1, 2, 3}, true}}).value()[0] == learn_outcome::flipped);
  CHECK(st.lookup("", {1}).value()[0].spam == 0);
  CHECK(st.lookup("", {1}).value()[0].ham == 1);
  CHECK(st.totals("").value().spam == 0);
  CHECK(st.totals("").value().ham == 2);
  CHECK(st.learnt_as("alice@home.test", "m1").value() == 2);
  // Unlearn.
  CHECK(st.unlearn("alice@home.test", "m1").value());
  CHECK_FALSE(st.unlearn("alice@home.test", "m1").value());
  CHECK(st.lookup("alice@home.test", {1}).value()[0].ham == 0);
  CHECK(st.totals("alice@home.test").value().ham == 1);
  // Forget takes the user's share of the site counts too.
  REQUIRE(st.learn({{"bob@home.test", "m3", true, {7}, true}}));
  CHECK(st.lookup("", {7}).value()[0].spam == 1);
  CHECK(st.forget("bob@home.test").value() == 1);
  CHECK(st.lookup("", {7}).value()[0].spam == 0);
  CHECK(st.stats("bob@home.test").value().messages.spam == 0);
  CHECK(st.stats("").value().messages.ham == 1);
  // Emptying the site database drops alice's share there; forgetting her later subtracts
  // nothing from it again.
  REQUIRE(st.learn({{"alice@home.test", "m5", true, {11}, true}}));
  CHECK(st.forget("").value() == 1);
  CHECK(st.totals("").value().spam == 0);
  CHECK(st.totals("").value().ham == 0);
  REQUIRE(st.learn({{"", "m6", true, {11}, false}}));
  CHECK(st.forget("alice@home.test").value() == 1);
  CHECK(st.lookup("", {11}).value()[0].spam == 1);
  // A batch may name the same message twice: the later lesson wins.
  auto b = st.learn({{"carol@home.test", "m4", true, {8}, false}, {"carol@home.test", "m4", false, {8}, false}}).value();
  CHECK(b[1] == learn_outcome::flipped);
  CHECK(st.lookup("carol@home.test", {8}).value()[0].spam == 0);
  CHECK(st.lookup("carol@home.test", {8}).value()[0].ham == 1);
  CHECK(st.stats("carol@home.test").value().messages.ham == 1);
  CHECK(st.stats("carol@home.test").value().messages.spam == 0);
}

TEST_CASE("the engine learns from messages and then votes", "[bayes]") {
  temp_db t;
  model_options o;
  o.min_spam = o.min_ham = 5;
  engine e(std::shared_ptr<token_store>(open_token_store(t.db.target).value()), o);
  const std::string spammy = "Subject: cheap viagra\r\nFrom: y@pills.example\r\n\r\nbest price, buy now\r\n";
  // Before any lesson: no vote, and verdict() says so without clues.
  auto before = e.verdict(spammy, "").value();
  CHECK(before.verdict == bayes_class::untrained);
  CHECK(before.clues.empty());
  CHECK(e.classify(spammy, "").value().verdict == bayes_class::untrained);
  std::vector<learn_item> items;
  for (int i = 0; i < 10; ++i) {
    std::string spam = "Subject: cheap pills " + std::to_string(i) + "\r\nFrom: x@pills.example\r\n\r\nBuy viagra now, best price online " + std::to_string(i) + "\r\n";
    std::string ham = "Subject: meeting notes " + std::to_string(i) + "\r\nFrom: bob@work.example\r\n\r\nThe agenda for tomorrow's project review " + std::to_string(i) + "\r\n";
    items.push_back(e.lesson("", "s" + std::to_string(i), spam, true, false));
    items.push_back(e.lesson("", "h" + std::to_string(i), ham, false, false));
  }
  REQUIRE(e.learn_batch(items));
  auto s = e.classify("Subject: cheap viagra\r\nFrom: y@pills.example\r\n\r\nbest price, buy now\r\n", "").value();
  CHECK(s.verdict == bayes_class::spam);
  auto h = e.classify("Subject: project meeting\r\nFrom: bob@work.example\r\n\r\nagenda for the review\r\n", "").value();
  CHECK(h.verdict == bayes_class::ham);
  // Once trained, verdict() is classify().
  auto v = e.verdict(spammy, "").value();
  CHECK(v.verdict == bayes_class::spam);
  CHECK(v.score == e.classify(spammy, "").value().score);
  CHECK(v.trained.spam == 10);
}

TEST_CASE("lookup: many tokens in one call, full 64-bit hashes, the owner's and the site's summed", "[bayes]") {
  temp_db t;
  INFO(hearth::engine_name(t.db.engine));
  auto st = open_token_store(t.db.target).value();
  // More tokens than one statement looks up, with a ragged end, and hashes above 2^63 (stored
  // as negative integers).
  std::vector<std::uint64_t> toks;
  for (std::uint64_t i = 0; i < 300; ++i) toks.push_back(i % 2 ? 0xF000000000000000ull + i * 7919 : i * 104729 + 1);
  std::vector<std::uint64_t> odd, every_third;
  for (std::size_t i = 0; i < toks.size(); ++i) {
    if (i % 2) odd.push_back(toks[i]);
    if (i % 3 == 0) every_third.push_back(toks[i]);
  }
  REQUIRE(st->learn({{"dave@home.test", "a", true, odd, true},
                     {"dave@home.test", "b", false, every_third, false},
                     {"", "c", true, every_third, false}}));
  std::vector<std::uint64_t> asked = toks;
  asked.push_back(42);       // never learnt
  asked.push_back(toks[3]);  // asked twice, in another chunk
  auto dave = st->lookup("dave@home.test", asked).value();
  auto site = st->lookup("", asked).value();
  auto nobody = st->lookup("nobody@home.test", asked).value();  // no row of its own: the site's
  REQUIRE(dave.size() == asked.size());
  for (std::size_t i = 0; i < asked.size(); ++i) {
    INFO(i);
    const std::size_t k = i < toks.size() ? i : (i == toks.size() ? std::size_t(-1) : 3);
    const bool is_odd = k != std::size_t(-1) && k % 2;
    const bool third = k != std::size_t(-1) && k % 3 == 0;
    // Site: "a" (also_site) and "c"; dave: "a" and "b", plus the site's.
    CHECK(site[i].spam == (is_odd ? 1u : 0u) + (third ? 1u : 0u));
    CHECK(site[i].ham == 0u);
    CHECK(dave[i].spam == 2 * (is_odd ? 1u : 0u) + (third ? 1u : 0u));
    CHECK(dave[i].ham == (third ? 1u : 0u));
    CHECK(nobody[i].spam == site[i].spam);
    CHECK(nobody[i].ham == site[i].ham);
  }
  CHECK(st->lookup("dave@home.test", {}).value().empty());
  CHECK(st->stats("dave@home.test").value().tokens == odd.size() + every_third.size() - 50);  // 50 are in both
}
