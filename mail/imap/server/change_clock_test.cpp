// The change clock (whether a mailbox may have changed since a reading) and the refresh that
// skips its read on it: every change made through a store that publishes, and every change
// when the other-process source moves, must still reach the next command.
#include "mail/imap/server/change_clock.hpp"

#include "mail/imap/server/commands_test_util.hpp"

using namespace hearth;
using namespace hearth::mail::imap;
using namespace hearth::mail::imap::test;

TEST_CASE("change clock: an event marks its mailbox, its parents' events and nameless ones mark more", "[imap]") {
  events::bus bus;
  change_clock clock(bus, [] { return std::uint64_t{7}; });
  const auto t0 = clock.now();
  CHECK(t0 != 0);
  CHECK(clock.changed_since("alice@home.test", "INBOX", t0));  // the first look at the others
  const auto t1 = clock.now();
  CHECK_FALSE(clock.changed_since("alice@home.test", "INBOX", t1));
  CHECK(clock.changed_since("alice@home.test", "INBOX", 0));  // no reading: always changed

  bus.publish({"mail.new", "alice@home.test", "INBOX"});
  bus.publish({"mail.other", "alice@home.test", "Work"});  // not a store event
  CHECK(clock.changed_since("alice@home.test", "INBOX", t1));
  CHECK_FALSE(clock.changed_since("alice@home.test", "Work", t1));
  CHECK_FALSE(clock.changed_since("bob@home.test", "INBOX", t1));
  const auto t2 = clock.now();
  CHECK(t2 > t1);
  CHECK_FALSE(clock.changed_since("alice@home.test", "INBOX", t2));

  // RENAME and DELETE of a parent carry the parent's name.
  bus.publish({"mail.changed", "alice@home.test", "Work"});
  CHECK(clock.changed_since("alice@home.test", "Work/2026/Q1", t2));
  CHECK_FALSE(clock.changed_since("alice@home.test", "Workshop", t2));

  // No name (the server's annotations), or a resync after lost events: the whole account.
  const auto t3 = clock.now();
  bus.publish({"mail.changed", "alice@home.test", ""});
  CHECK(clock.changed_since("alice@home.test", "Archive", t3));
  CHECK_FALSE(clock.changed_since("bob@home.test", "Archive", t3));
  const auto t4 = clock.now();
  bus.resync();
  CHECK(clock.changed_since("bob@home.test", "Archive", t4));  // a resync reaches every subscription
}

TEST_CASE("change clock: another process's possible write makes every mailbox changed", "[imap]") {
  events::bus bus;
  std::uint64_t others = 1;
  change_clock clock(bus, [&] { return others; });
  (void)clock.changed_since("alice@home.test", "INBOX", 1);
  const auto t0 = clock.now();
  CHECK_FALSE(clock.changed_since("alice@home.test", "INBOX", t0));
  ++others;
  CHECK(clock.changed_since("alice@home.test", "INBOX", t0));
  CHECK(clock.changed_since("bob@home.test", "Archive", t0));  // every owner, every mailbox
  const auto t1 = clock.now();
  CHECK_FALSE(clock.changed_since("bob@home.test", "Archive", t1));

  change_clock blind(bus, nullptr);  // nothing says what other processes did: never skip
  CHECK(blind.changed_since("alice@home.test", "INBOX", blind.now()));
}

namespace {

// The fixture's own store publishes nothing, like another process writing the same file; this
// one, on the same database, publishes on `bus`, which the sessions' clock listens to. The
// other-process source is `others`, moved by hand.
struct clocked {
  fixture f;
  events::bus bus;
  std::uint64_t others = 1;
  change_clock clock{bus, [this] { return others; }};
  std::unique_ptr<mail::store> store;
  clocked() {
    store = mail::store::open((f.dir / "hearth.db").string(), *f.blobs, nullptr, &bus).value();
    f.env.store = store.get();
    f.env.changes = &clock;
  }
  session_state login() { return f.login(); }
};

}  // namespace

TEST_CASE("with the change clock, a write that publishes nothing is seen once the others' source moves", "[imap]") {
  clocked c;
  auto a = c.login();
  run(a, append_cmd("a1", "INBOX", simple));
  run(a, "s SELECT INBOX");
  CHECK(run(a, "n NOOP") == "n OK NOOP completed\r\n");
  // Written by a store that publishes nothing, while the others' source stays: the refresh
  // skips its read (what the source is there to prevent when the writer is another process).
  REQUIRE(c.f.store->append("alice@home.test", "INBOX", simple, {}, std::nullopt));
  CHECK(run(a, "n NOOP") == "n OK NOOP completed\r\n");
  ++c.others;
  CHECK(run(a, "n NOOP") == "* 2 EXISTS\r\n* 2 RECENT\r\nn OK NOOP completed\r\n");
  CHECK(run(a, "n NOOP") == "n OK NOOP completed\r\n");
  REQUIRE(c.f.store->store_flags("alice@home.test", "INBOX", {{1, 1}}, mail::flag_mode::add, {"\\Flagged"},
                                 std::nullopt));
  ++c.others;
  CHECK(run(a, "n NOOP") == "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))\r\nn OK NOOP completed\r\n");
}

TEST_CASE("with the change clock, two sessions still see each other's changes", "[imap]") {
  clocked c;
  auto a = c.login();
  auto b = c.login();
  run(b, append_cmd("b0", "INBOX", simple));
  run(a, "s SELECT INBOX");
  run(b, "s SELECT INBOX");
  CHECK(run(a, "n NOOP") == "n OK NOOP completed\r\n");
  CHECK(run(b, "st STORE 1 +FLAGS (\\Deleted)") == "* 1 FETCH (FLAGS (\\Deleted))\r\nst OK STORE completed\r\n");
  CHECK(run(a, "n NOOP") == "* 1 FETCH (UID 1 FLAGS (\\Deleted \\Recent))\r\nn OK NOOP completed\r\n");
  CHECK(run(b, "x EXPUNGE") == "* 1 EXPUNGE\r\nx OK EXPUNGE completed\r\n");
  // The expunge seen by FETCH (which may not announce it) is announced by the next NOOP, even
  // though no event came in between.
  CHECK(run(a, "f FETCH 1 UID") == "f OK FETCH completed\r\n");
  CHECK(run(a, "n NOOP") == "* 1 EXPUNGE\r\nn OK NOOP completed\r\n");
  // b's own refresh took the new message as recent (RFC 3501 §2.3.2).
  run(b, append_cmd("b1", "INBOX", simple));
  CHECK(run(a, "n NOOP") == "* 1 EXISTS\r\n* 0 RECENT\r\nn OK NOOP completed\r\n");
  // Another mailbox, below a parent.
  run(b, "c CREATE Work/Sub");
  run(a, append_cmd("a3", "Work/Sub", simple));
  run(a, "s SELECT Work/Sub");
  run(b, append_cmd("b2", "Work/Sub", simple));
  CHECK(run(a, "n NOOP").starts_with("* 2 EXISTS\r\n"));
}
