// refresh_scope.hpp: the changes an IMAP command's refresh reads, taken from its own write's
// commit or sent with its own read, are the ones a read of their own would give.
#include "mail/store/refresh_scope.hpp"

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "core/pg/event_transport.hpp"
#include "core/pg/pg.hpp"
#include "mail/store/store_test_fixture.hpp"

using namespace hearth;
using namespace hearth::mail_store_test;

namespace {

std::vector<std::pair<std::uint32_t, std::uint64_t>> changed_of(const mail::changes& c) {
  std::vector<std::pair<std::uint32_t, std::uint64_t>> out;
  for (const auto& m : c.changed) out.emplace_back(m.uid, m.modseq);
  return out;
}

// The round trips `f` waits for, on PostgreSQL (0 on SQLite).
template <class F>
std::uint64_t trips(F f) {
  const auto before = pg::round_trips();
  f();
  return pg::round_trips() - before;
}

}  // namespace

TEST_CASE("store: a command's refresh travels with its write or its read, and agrees with its own read") {
  const auto e = GENERATE(sql::engine::sqlite, sql::engine::postgres);
  fixture f{e};
  const bool pg = e == sql::engine::postgres;
  for (int i = 0; i < 3; ++i) REQUIRE(f.st->deliver(f.alice, "Subject: " + std::to_string(i) + "\r\n\r\nx\r\n"));
  const auto h0 = f.st->status(f.alice, "INBOX").value().highestmodseq;

  // A write to the mailbox: the refresh is read before its COMMIT, in the commit's round trip.
  {
    mail::refresh_scope scope(*f.st, f.alice, "inbox", h0);  // h0's read made the account fresh
    std::optional<mail::changes> got;
    const auto n = trips([&] {
      REQUIRE(f.st->store_flags(f.alice, "INBOX", {{1, 1}}, mail::flag_mode::add, {"\\Seen"}));
      got = f.st->changes_since(f.alice, "INBOX", h0).value();
    });
    if (pg) CHECK(n == 2);  // BEGIN, locks and the read; the UPDATEs, the refresh and COMMIT
    const auto own = f.st->changes_since(f.alice, "INBOX", h0).value();
    CHECK(got->highestmodseq == own.highestmodseq);
    CHECK(got->highestmodseq > h0);
    CHECK(changed_of(*got) == changed_of(own));
    REQUIRE(got->changed.size() == 1);
    CHECK(got->changed[0].flags == std::vector<std::string>{"\\Seen"});
  }
  // An expunge, and a refresh from a later modseq: what is at or below it is left out.
  const auto h1 = f.st->status(f.alice, "INBOX").value().highestmodseq;
  REQUIRE(f.st->store_flags(f.alice, "INBOX", {{2, 2}}, mail::flag_mode::add, {"\\Deleted"}));
  const auto h2 = f.st->status(f.alice, "INBOX").value().highestmodseq;
  {
    mail::refresh_scope scope(*f.st, f.alice, "INBOX", h1);
    REQUIRE(f.st->expunge(f.alice, "INBOX", std::nullopt).value().uids == u32s{2});
    auto got = f.st->changes_since(f.alice, "INBOX", h2).value();
    const auto own = f.st->changes_since(f.alice, "INBOX", h2).value();
    CHECK(got.vanished == u32s{2});
    CHECK(got.vanished == own.vanished);
    CHECK(changed_of(got) == changed_of(own));
    CHECK(got.changed.empty());  // uid 2's \Deleted came at h2, not after it
    CHECK(got.highestmodseq == own.highestmodseq);
  }
  // A read of the command (here STATUS of another mailbox) carries the refresh: another
  // session's change before it is seen, with no round trip of the refresh's own.
  const auto h3 = f.st->status(f.alice, "INBOX").value().highestmodseq;
  REQUIRE(f.st->store_flags(f.alice, "INBOX", {{3, 3}}, mail::flag_mode::add, {"\\Flagged"}));
  {
    mail::refresh_scope scope(*f.st, f.alice, "INBOX", h3);
    std::optional<mail::changes> got;
    const auto n = trips([&] {
      REQUIRE(f.st->status(f.alice, "Sent"));
      got = f.st->changes_since(f.alice, "INBOX", h3).value();
    });
    if (pg) CHECK(n == 1);
    REQUIRE(got->changed.size() == 1);
    CHECK(got->changed[0].uid == 3);
    CHECK(got->changed[0].flags == std::vector<std::string>{"\\Flagged"});
  }
  // A write that is not to the mailbox, after the read, makes what the read carried stale:
  // the refresh reads again and sees the copy into the mailbox.
  const auto h4 = f.st->status(f.alice, "INBOX").value().highestmodseq;
  {
    mail::refresh_scope scope(*f.st, f.alice, "INBOX", h4);
    REQUIRE(f.st->status(f.alice, "Sent"));
    REQUIRE(f.st->copy(f.alice, "INBOX", {{1, 1}}, "INBOX"));
    auto got = f.st->changes_since(f.alice, "INBOX", h4).value();
    REQUIRE(got.changed.size() == 1);
    CHECK(got.changed[0].uid == 4);
  }
  // Without a scope, nothing is left to ride on a later read.
  const auto h5 = f.st->status(f.alice, "INBOX").value().highestmodseq;
  REQUIRE(f.st->store_flags(f.alice, "INBOX", {{4, 4}}, mail::flag_mode::add, {"\\Answered"}));
  CHECK(f.st->changes_since(f.alice, "INBOX", h5).value().changed.size() == 1);
}

TEST_CASE("store: a write that carries its event publishes it once, after the commit") {
  const auto e = GENERATE(sql::engine::sqlite, sql::engine::postgres);
  fixture f{e};
  // On PostgreSQL, two nodes: the store's bus and another one, on one channel.
  events::bus other;
  std::shared_ptr<pg::event_transport> mine, theirs;
  if (e == sql::engine::postgres) {
    pg::event_transport_options o;
    o.url = std::getenv("HEARTH_TEST_PG_URL");
    o.channel = "hearth_test_" + std::to_string(std::random_device{}() % 1000000);
    mine = std::make_shared<pg::event_transport>(o);
    theirs = std::make_shared<pg::event_transport>(o);
    f.bus.attach(mine);
    other.attach(theirs);
    for (int i = 0; i < 200 && (mine->listener_pid() == 0 || theirs->listener_pid() == 0); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(theirs->listener_pid() != 0);
  }
  REQUIRE(f.st->deliver(f.alice, "hello"));
  std::vector<events::event> seen;
  std::uint64_t modseq_at_event = 0;
  auto sub = f.bus.subscribe("mail.changed", f.alice, [&](const events::event& ev) {
    seen.push_back(ev);
    modseq_at_event = f.st->status(f.alice, ev.data).value().highestmodseq;
  });
  std::mutex m;
  int heard = 0;
  auto sub2 = other.subscribe("mail.changed", f.alice, [&](const events::event&) {
    std::lock_guard lk(m);
    ++heard;
  });
  auto heard_now = [&] {
    std::lock_guard lk(m);
    return heard;
  };
  if (mine) {  // the delivery's event (fsync'd, so sent by the transport) is out of the way
    for (int i = 0; i < 200 && !mine->idle(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(mine->idle());
  }
  REQUIRE(f.st->status(f.alice, "INBOX"));  // the account's directory answer is fresh (account_ttl)
  const auto n = trips([&] {
    REQUIRE(f.st->store_flags(f.alice, "INBOX", {{1, 1}}, mail::flag_mode::add, {"\\Deleted"}));
    REQUIRE(seen.size() == 1);
    if (mine)
      for (int i = 0; i < 400 && heard_now() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  });
  CHECK(seen[0].data == "INBOX");
  const auto after_store = f.st->status(f.alice, "INBOX").value().highestmodseq;
  CHECK(modseq_at_event == after_store);  // published after the commit
  if (mine) {
    CHECK(heard_now() == 1);
    // The NOTIFY went with the COMMIT (the transport's sender sent nothing): the status read
    // in the callback, and the write's two round trips.
    CHECK(n == 3);
  }
  REQUIRE(f.st->expunge(f.alice, "INBOX", std::nullopt));
  REQUIRE(seen.size() == 2);
  CHECK(modseq_at_event > after_store);
  // Nothing to change: nothing written, nothing published.
  REQUIRE(f.st->store_flags(f.alice, "INBOX", {{2, 2}}, mail::flag_mode::add, {"\\Deleted"}));
  CHECK(seen.size() == 2);
  if (mine) {
    for (int i = 0; i < 400 && heard_now() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(heard_now() == 2);  // once each
  }
  sub.reset();
  sub2.reset();
  f.bus.detach();
  other.detach();
}
