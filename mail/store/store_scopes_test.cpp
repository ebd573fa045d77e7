// Writers of different accounts at once (on PostgreSQL each account is its own write scope,
// core/sql/scope.hpp): what they share, blobs and the UIDVALIDITY counter, must stay whole.
#include "mail/store/store.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/blob/store.hpp"
#include "mail/store/store_test_fixture.hpp"

using namespace hearth;
using namespace hearth::mail_store_test;
using mail::uid_max;

TEST_CASE("store: two accounts storing and removing the same content at once never lose its blob") {
  auto e = GENERATE(sql::engine::sqlite, sql::engine::postgres);
  auto tier = GENERATE(false, true);  // the blob in a file, or in the message's transaction
  INFO(engine_name(e) << (tier ? ", blob in the database" : ", blob in a file"));
  fixture f{e, 0, tier};
  const std::string bob = "bob@home.test";
  REQUIRE(f.users->add_account(bob, {"$argon2id$x", "s1", "s2"}, "", 0));
  // Two instances, as two nodes: each removes the blobs its own expunges freed, inside its own
  // later appends, while the other appends the same bytes.
  auto other = mail::store::open(f.db.target, *f.blobs, f.users.get()).value();
  const std::string shared = "Subject: the same\r\n\r\nthe same bytes in both accounts\r\n";
  constexpr int rounds = 40;
  std::mutex mu;
  std::vector<std::string> problems;
  std::vector<std::string> kept_blobs;
  auto note = [&](std::string what) {
    std::lock_guard lock(mu);
    problems.push_back(std::move(what));
  };
  auto work = [&](mail::store& s, const std::string& who) {
    for (int i = 0; i < rounds; ++i) {
      // The shared content, then (except every fourth round) its removal: the blob becomes
      // garbage of this instance while the other account may be storing it again.
      auto a = s.append(who, "INBOX", shared);
      if (!a) {
        note(who + " append: " + a.error().message);
        continue;
      }
      auto got = s.fetch(who, "INBOX", {{a->uid, a->uid}});
      if (!got || got->size() != 1) {
        note(who + " fetch of a stored message failed");
        continue;
      }
      const std::string blob = got->front().blob_id;
      if (auto b = f.blobs->get(blob); !b || *b != shared) note(who + " lost the blob it just stored");
      if (i % 4 == 3) {
        std::lock_guard lock(mu);
        kept_blobs.push_back(blob);
        continue;
      }
      if (!s.store_flags(who, "INBOX", {{a->uid, a->uid}}, mail::flag_mode::add, {"\\Deleted"}) ||
          !s.expunge(who, "INBOX", mail::uid_set{{a->uid, a->uid}}))
        note(who + " expunge failed");
      // Content of its own, twice: appends that do not name the shared blob. The first one's
      // fsync makes the expunge durable; the second one's transaction removes the blob if no
      // row names it, while the other account may be appending it.
      for (int k = 0; k < 2; ++k)
        if (auto own = s.append(who, "INBOX", who + " round " + std::to_string(i) + "." + std::to_string(k)); !own)
          note(who + " own append: " + own.error().message);
    }
  };
  std::thread ta(work, std::ref(*f.st), f.alice), tb(work, std::ref(*other), bob);
  ta.join();
  tb.join();
  for (auto& p : problems) FAIL_CHECK(p);
  CHECK(problems.empty());
  REQUIRE(!kept_blobs.empty());
  // Every kept message still has its body, whatever the other account removed meanwhile.
  for (auto& who : {f.alice, bob}) {
    int kept = 0;
    for (auto& m : f.st->fetch(who, "INBOX", {{1, uid_max}}).value()) {
      if (m.blob_id != kept_blobs.front()) continue;
      ++kept;
      auto b = f.blobs->get(m.blob_id);
      CHECK(b);
      if (b) CHECK(*b == shared);
    }
    CHECK(kept == rounds / 4);
  }
  // And the blob still goes once nothing names it: expunge everything; each instance removes
  // its garbage when it closes.
  for (auto& who : {f.alice, bob}) {
    REQUIRE(f.st->store_flags(who, "INBOX", {{1, uid_max}}, mail::flag_mode::add, {"\\Deleted"}));
    REQUIRE(f.st->expunge(who, "INBOX", std::nullopt));
  }
  other.reset();
  f.st.reset();
  CHECK_FALSE(f.blobs->get(kept_blobs.front()));
}

TEST_CASE("store: accounts creating mailboxes at once get distinct UIDVALIDITY values") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  const std::string bob = "bob@home.test";
  REQUIRE(f.users->add_account(bob, {"$argon2id$x", "s1", "s2"}, "", 0));
  auto other = mail::store::open(f.db.target, *f.blobs, f.users.get()).value();
  REQUIRE(f.st->list(f.alice));  // default mailboxes made before the race
  REQUIRE(other->list(bob));
  constexpr int per_account = 10;
  std::vector<std::uint32_t> got[2];
  std::atomic<int> failures{0};
  auto work = [&](int n) {
    auto& s = n ? *other : *f.st;
    const std::string& who = n ? bob : f.alice;
    for (int i = 0; i < per_account; ++i) {
      auto r = s.create(who, "box" + std::to_string(i), "");
      if (r) got[n].push_back(r->uidvalidity);
      else ++failures;
    }
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();
  CHECK(failures == 0);
  std::set<std::uint32_t> all;
  for (auto& g : got) all.insert(g.begin(), g.end());
  for (auto& who : {f.alice, bob})
    for (auto& m : f.st->list(who).value()) all.insert(m.uidvalidity);
  // Six default mailboxes per account and the ones created here, each its own value.
  CHECK(all.size() == 2 * (6 + per_account));
}

TEST_CASE("store: appends to two mailboxes of one account at once stay within its quota") {
  constexpr int size = 100, fits = 12;
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres), size * fits};
  auto other = mail::store::open(f.db.target, *f.blobs, f.users.get()).value();
  std::atomic<int> stored{0}, refused{0}, failed{0};
  auto work = [&](int n) {
    auto& s = n ? *other : *f.st;
    for (int i = 0; i < fits; ++i) {
      std::string body(size, 'a' + n);
      body.replace(0, 8, std::to_string(10000000 + i));  // distinct content, the same size
      auto r = s.append(f.alice, n ? "Archive" : "INBOX", body);
      if (r) ++stored;
      else if (r.error().code == "mail.quota") ++refused;
      else ++failed;
    }
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();
  CHECK(failed == 0);
  CHECK(stored == fits);
  CHECK(refused == fits);
  auto u = f.st->usage(f.alice).value();
  CHECK(u.used_bytes == static_cast<std::uint64_t>(size * fits));
}
