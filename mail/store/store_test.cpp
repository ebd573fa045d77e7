#include "mail/store/store.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "core/blob/db_store.hpp"
#include "core/blob/store.hpp"
#include "core/events/bus.hpp"
#include "mail/store/known_account.hpp"
#include "core/sql/write_guard.hpp"
#include "directory/directory.hpp"
#include "mail/store/sql_store.hpp"
#include "tests/unit/test_database.hpp"

using namespace hearth;
#include "mail/store/known_account.hpp"
#include "mail/store/store_test_fixture.hpp"

using namespace hearth;
using namespace hearth::mail_store_test;
using mail::uid_max;

TEST_CASE("store: default mailboxes are created on first use") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  auto list = f.st->list("Alice@HOME.test").value();
  REQUIRE(list.size() == 6);
  CHECK(list[0].name == "INBOX");
  std::set<std::string> uses;
  for (auto& m : list) {
    CHECK(m.uidvalidity != 0);
    CHECK(m.uidnext == 1);
    uses.insert(m.special_use);
  }
  CHECK(uses == std::set<std::string>{"", "\\Sent", "\\Drafts", "\\Trash", "\\Junk", "\\Archive"});
  CHECK(f.st->status(f.alice, "inbox").value().name == "INBOX");
  CHECK(f.st->list("bob@home.test").error().code == "mail.no_account");
  CHECK(f.st->list("not an address").error().code == "mail.invalid");
}

TEST_CASE("store: append gives ascending uids, never reused") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  for (std::uint32_t i = 1; i <= 3; ++i) {
    auto r = f.st->append(f.alice, "INBOX", "Subject: " + std::to_string(i) + "\r\n\r\nbody\r\n").value();
    CHECK(r.uid == i);
    CHECK(r.uidvalidity == f.st->status(f.alice, "INBOX").value().uidvalidity);
  }
  auto s = f.st->status(f.alice, "INBOX").value();
  CHECK(s.uidnext == 4);
  CHECK(s.messages == 3);
  CHECK(s.unseen == 3);

  REQUIRE(f.st->store_flags(f.alice, "INBOX", {{3, 3}}, mail::flag_mode::add, {"\\deleted"}));
  CHECK(f.st->expunge(f.alice, "INBOX").value().uids == u32s{3});
  CHECK(f.st->append(f.alice, "INBOX", "again").value().uid == 4);
  CHECK(f.uids("INBOX") == u32s{1, 2, 4});
  CHECK(f.st->status(f.alice, "INBOX").value().uidnext == 5);
}

TEST_CASE("store: blob content round trip, and invalid input") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres), 0, GENERATE(false, true)};
  std::string bytes = "From: a@b\r\n\r\n";
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  auto r = f.st->append(f.alice, "Drafts", bytes, {"\\Draft", "$Label1"}, 1700000000).value();
  auto m = f.st->fetch(f.alice, "Drafts", {{r.uid, r.uid}}).value();
  REQUIRE(m.size() == 1);
  CHECK(f.blobs->get(m[0].blob_id).value() == bytes);
  CHECK(m[0].size == bytes.size());
  CHECK(m[0].internal_date == 1700000000);
  CHECK(m[0].flags == std::vector<std::string>{"\\Draft", "$Label1"});
  CHECK(f.st->append(f.alice, "Nope", "x").error().code == "mail.no_mailbox");
  CHECK(f.st->append(f.alice, "INBOX", "x", {"\\Recent"}).error().code == "mail.invalid");
  CHECK(f.st->append(f.alice, "INBOX", "x", {"bad flag"}).error().code == "mail.invalid");
  CHECK(f.st->append_blob(f.alice, "INBOX", std::string(64, 'a')).error().code == "mail.no_blob");
  CHECK(f.st->fetch(f.alice, "INBOX", {{5, 2}}).error().code == "mail.invalid");
  CHECK(f.st->create(f.alice, "a//b").error().code == "mail.invalid");
  CHECK(f.st->create(f.alice, std::string(600, 'x')).error().code == "mail.invalid");
  CHECK(f.st->create(f.alice, "bad\xff").error().code == "mail.invalid");
  CHECK(f.st->create(f.alice, "ctl\x01").error().code == "mail.invalid");
}

TEST_CASE("store: flags and modseq increase") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  auto a = f.st->append(f.alice, "INBOX", "one").value();
  auto b = f.st->append(f.alice, "INBOX", "two").value();
  CHECK(b.modseq > a.modseq);
  auto r = f.st->store_flags(f.alice, "INBOX", {{1, 1}}, mail::flag_mode::add, {"\\Seen", "Work"}).value();
  REQUIRE(r.updated.size() == 1);
  CHECK(r.updated[0].modseq > b.modseq);
  CHECK(r.updated[0].flags == std::vector<std::string>{"\\Seen", "Work"});
  auto s = f.st->status(f.alice, "INBOX").value();
  CHECK(s.highestmodseq == r.updated[0].modseq);
  CHECK(s.unseen == 1);
  // No change: no new modseq.
  CHECK(f.st->store_flags(f.alice, "INBOX", {{1, 1}}, mail::flag_mode::add, {"\\seen"}).value().updated.empty());
  auto rm = f.st->store_flags(f.alice, "INBOX", {{1, 2}}, mail::flag_mode::remove, {"work"}).value();
  REQUIRE(rm.updated.size() == 1);
  CHECK(rm.updated[0].flags == std::vector<std::string>{"\\Seen"});
  CHECK(rm.updated[0].modseq > r.updated[0].modseq);
  // UNCHANGEDSINCE older than message 1's modseq: message 1 is skipped.
  auto cond = f.st->store_flags(f.alice, "INBOX", {{1, 2}}, mail::flag_mode::set, {"\\Flagged"}, b.modseq).value();
  CHECK(cond.modified == u32s{1});
  REQUIRE(cond.updated.size() == 1);
  CHECK(cond.updated[0].uid == 2);
  auto ch = f.st->changes_since(f.alice, "INBOX", rm.updated[0].modseq).value();
  REQUIRE(ch.changed.size() == 1);
  CHECK(ch.changed[0].uid == 2);
  CHECK(ch.highestmodseq == cond.updated[0].modseq);
}

TEST_CASE("store: expunge by uid set and the vanished log") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  for (int i = 0; i < 4; ++i) REQUIRE(f.st->append(f.alice, "INBOX", "m" + std::to_string(i), {"\\Deleted"}));
  auto before = f.st->status(f.alice, "INBOX").value().highestmodseq;
  auto ex = f.st->expunge(f.alice, "INBOX", mail::uid_set{{2, 3}}).value();
  CHECK(ex.uids == u32s{2, 3});
  CHECK(ex.modseq > before);
  CHECK(f.uids("INBOX") == u32s{1, 4});
  auto ch = f.st->changes_since(f.alice, "INBOX", before).value();
  CHECK(ch.vanished == u32s{2, 3});
  CHECK(ch.changed.empty());
}

TEST_CASE("store: uidvalidity of a recreated mailbox differs") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  auto first = f.st->create(f.alice, "Projects").value().uidvalidity;
  CHECK(f.st->create(f.alice, "Projects").error().code == "mail.exists");
  REQUIRE(f.st->remove(f.alice, "Projects"));
  CHECK(f.st->status(f.alice, "Projects").error().code == "mail.no_mailbox");
  auto second = f.st->create(f.alice, "Projects").value().uidvalidity;
  CHECK(second != 0);
  CHECK(second != first);
  CHECK(f.st->remove(f.alice, "inbox").error().code == "mail.forbidden");
}

TEST_CASE("store: copy and move return the uid mapping") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  for (int i = 0; i < 3; ++i) REQUIRE(f.st->append(f.alice, "INBOX", "m" + std::to_string(i), {"\\Flagged"}));
  REQUIRE(f.st->append(f.alice, "Archive", "already there"));
  auto c = f.st->copy(f.alice, "INBOX", {{2, uid_max}}, "Archive").value();
  CHECK(c.uidvalidity == f.st->status(f.alice, "Archive").value().uidvalidity);
  CHECK(c.uids == std::vector<std::pair<std::uint32_t, std::uint32_t>>{{2, 2}, {3, 3}});
  CHECK(f.uids("INBOX") == u32s{1, 2, 3});
  auto copied = f.st->fetch(f.alice, "Archive", {{2, 2}}).value();
  REQUIRE(copied.size() == 1);
  CHECK(copied[0].flags == std::vector<std::string>{"\\Flagged"});

  auto m = f.st->move(f.alice, "INBOX", {{1, 2}}, "Trash").value();
  CHECK(m.uids == std::vector<std::pair<std::uint32_t, std::uint32_t>>{{1, 1}, {2, 2}});
  CHECK(f.uids("INBOX") == u32s{3});
  CHECK(f.uids("Trash") == u32s{1, 2});
  CHECK(f.st->changes_since(f.alice, "INBOX", 0).value().vanished == u32s{1, 2});
  // RFC 6851 §3.3: a MOVE within the mailbox gives the message a new uid and expunges the old.
  auto self = f.st->move(f.alice, "INBOX", {{3, 3}}, "INBOX").value();
  CHECK(self.uids == std::vector<std::pair<std::uint32_t, std::uint32_t>>{{3, 4}});
  CHECK(f.uids("INBOX") == u32s{4});
  CHECK(f.st->status(f.alice, "INBOX").value().uidnext == 5);
  auto inbox_changes = f.st->changes_since(f.alice, "INBOX", 0).value();
  CHECK(inbox_changes.vanished == u32s{1, 2, 3});
  CHECK(f.st->copy(f.alice, "INBOX", {{3, 3}}, "Nope").error().code == "mail.no_mailbox");
}

TEST_CASE("store: subscriptions outlive their mailbox (RFC 9051 §6.3.7)") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  REQUIRE(f.st->create(f.alice, "Old"));
  REQUIRE(f.st->remove(f.alice, "Old"));
  CHECK(f.st->absent_subscriptions(f.alice).value() == std::vector<std::string>{"Old"});
  REQUIRE(f.st->subscribe(f.alice, "Future", true));
  CHECK(f.st->absent_subscriptions(f.alice).value() == std::vector<std::string>{"Future", "Old"});
  REQUIRE(f.st->create(f.alice, "Future"));
  CHECK(f.st->absent_subscriptions(f.alice).value() == std::vector<std::string>{"Old"});
  REQUIRE(f.st->subscribe(f.alice, "Old", false));
  CHECK(f.st->absent_subscriptions(f.alice).value().empty());
  CHECK(f.st->subscribe(f.alice, "Old", false).error().code == "mail.no_mailbox");
  REQUIRE(f.st->create(f.alice, "Quiet"));
  REQUIRE(f.st->subscribe(f.alice, "Quiet", false));
  REQUIRE(f.st->remove(f.alice, "Quiet"));  // not subscribed: nothing kept
  CHECK(f.st->absent_subscriptions(f.alice).value().empty());
}

TEST_CASE("store: rename, and rename of INBOX moves its messages") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  REQUIRE(f.st->create(f.alice, "Work"));
  REQUIRE(f.st->create(f.alice, "Work/2026"));
  auto uv = f.st->status(f.alice, "Work/2026").value().uidvalidity;
  REQUIRE(f.st->append(f.alice, "Work/2026", "x"));
  REQUIRE(f.st->rename(f.alice, "Work", "Job"));
  CHECK(f.st->status(f.alice, "Work").error().code == "mail.no_mailbox");
  auto kid = f.st->status(f.alice, "Job/2026").value();
  CHECK(kid.uidvalidity == uv);
  CHECK(kid.messages == 1);
  CHECK(f.st->rename(f.alice, "Job", "Sent").error().code == "mail.exists");
  CHECK(f.st->rename(f.alice, "Job", "INBOX").error().code == "mail.forbidden");

  REQUIRE(f.st->append(f.alice, "INBOX", "a"));
  REQUIRE(f.st->append(f.alice, "INBOX", "b"));
  auto inbox_uv = f.st->status(f.alice, "INBOX").value().uidvalidity;
  REQUIRE(f.st->rename(f.alice, "INBOX", "Old"));
  auto inbox = f.st->status(f.alice, "INBOX").value();
  CHECK(inbox.messages == 0);
  CHECK(inbox.uidvalidity == inbox_uv);
  CHECK(inbox.uidnext == 3);  // uids of the moved messages are not reused
  CHECK(f.uids("Old") == u32s{1, 2});
  CHECK(f.st->append(f.alice, "INBOX", "c").value().uid == 3);
}

TEST_CASE("store: quota refusal and usage") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres), 100};
  REQUIRE(f.st->append(f.alice, "INBOX", std::string(60, 'a')));
  auto u = f.st->usage(f.alice).value();
  CHECK(u.used_bytes == 60);
  CHECK(u.limit_bytes == 100);
  CHECK(u.messages == 1);
  CHECK(f.st->deliver(f.alice, std::string(41, 'b')).error().code == "mail.quota");
  CHECK(f.st->copy(f.alice, "INBOX", {{1, 1}}, "Archive").error().code == "mail.quota");
  CHECK(f.st->deliver(f.alice, std::string(40, 'b')).value().uid == 2);
  CHECK(f.st->usage(f.alice).value().used_bytes == 100);
  // MOVE does not grow usage: allowed at the limit.
  CHECK(f.st->move(f.alice, "INBOX", {{1, 1}}, "Archive"));
}

TEST_CASE("store: an append takes the account its caller vouches for, and asks the directory otherwise") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres), 100};
  REQUIRE(f.st->deliver(f.alice, std::string(60, 'a')));
  {
    // The caller's answer: a larger quota than the directory's.
    const mail::known_account_scope known(f.alice, 1000);
    CHECK(f.st->deliver(f.alice, std::string(100, 'b')).value().uid == 2);
    // Another address in the same scope is asked about as before.
    CHECK(f.st->deliver("nobody@home.test", "x").error().code == "mail.no_account");
  }
  CHECK(f.st->deliver(f.alice, std::string(10, 'c')).error().code == "mail.quota");
  REQUIRE(f.users->remove_account(f.alice));
  {
    const mail::known_account_scope known(f.alice, 0);
    CHECK(f.st->deliver(f.alice, "d").value().uid == 3);
  }
  // Without the scope, the removal is seen at once.
  CHECK(f.st->deliver(f.alice, "e").error().code == "mail.no_account");
}

TEST_CASE("store: expunge removes unreferenced blobs, keeps shared ones") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres), 0, GENERATE(false, true)};
  auto shared = f.st->append(f.alice, "INBOX", "shared body").value();
  auto alone = f.st->append(f.alice, "INBOX", "lonely body").value();
  auto ids = f.st->fetch(f.alice, "INBOX", {{1, uid_max}}).value();
  REQUIRE(ids.size() == 2);
  REQUIRE(f.st->copy(f.alice, "INBOX", {{shared.uid, shared.uid}}, "Archive"));
  REQUIRE(f.st->store_flags(f.alice, "INBOX", {{1, uid_max}}, mail::flag_mode::add, {"\\Deleted"}));
  CHECK(f.st->expunge(f.alice, "INBOX").value().uids == u32s{shared.uid, alone.uid});
  CHECK(f.blobs->exists(ids[0].blob_id));
  // The expunge is not fsync'd: its blob stays until a durable commit covers it (an append's),
  // and goes in the write transaction after that (the next append's).
  CHECK(f.blobs->exists(ids[1].blob_id));
  REQUIRE(f.st->append(f.alice, "Drafts", "a durable write"));
  CHECK(f.blobs->exists(ids[1].blob_id));
  REQUIRE(f.st->append(f.alice, "Drafts", "another durable write"));
  CHECK_FALSE(f.blobs->exists(ids[1].blob_id));
  REQUIRE(f.st->remove(f.alice, "Archive"));
  CHECK_FALSE(f.blobs->exists(ids[0].blob_id));
  // The same bytes appended again get their blob back.
  auto again = f.st->append(f.alice, "INBOX", "lonely body").value();
  auto m = f.st->fetch(f.alice, "INBOX", {{again.uid, again.uid}}).value();
  REQUIRE(m.size() == 1);
  CHECK(f.blobs->get(m[0].blob_id).value() == "lonely body");
}

TEST_CASE("store: an expunge on an I/O thread leaves the batch's fsync and removals to a later caller") {
  // Only SQLite runs IMAP commands inline (mail/imap/server/inline.hpp).
  fixture f{sql::engine::sqlite};
  const std::size_t batch = mail::sql_store::garbage_batch;
  std::vector<std::string> freed;
  for (std::size_t i = 0; i < batch; ++i) {
    auto uid = f.st->append(f.alice, "INBOX", "inline " + std::to_string(i), {"\\Deleted"}).value().uid;
    freed.push_back(f.st->fetch(f.alice, "INBOX", {{uid, uid}}).value().at(0).blob_id);
  }
  {
    sql::no_write_scope io_thread(sql::no_write_scope::mode::quick_writes);
    REQUIRE(f.st->expunge(f.alice, "INBOX").value().uids.size() == batch);
    CHECK_FALSE(io_thread.write_attempted());  // the expunge itself ran there
  }
  for (auto& id : freed) CHECK(f.blobs->exists(id));  // a full batch, yet no flush inline
  // The next expunge off the I/O thread flushes them all.
  auto uid = f.st->append(f.alice, "Archive", "off the I/O thread", {"\\Deleted"}).value().uid;
  auto last = f.st->fetch(f.alice, "Archive", {{uid, uid}}).value().at(0).blob_id;
  REQUIRE(f.st->expunge(f.alice, "Archive").value().uids.size() == 1);
  for (auto& id : freed) CHECK_FALSE(f.blobs->exists(id));
  CHECK_FALSE(f.blobs->exists(last));
}

TEST_CASE("store: blobs freed by expunges wait for a durable commit, at most garbage_batch of them") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres), 0, GENERATE(false, true)};
  auto blob_of = [&](std::string_view box, std::uint32_t uid) {
    return f.st->fetch(f.alice, box, {{uid, uid}}).value().at(0).blob_id;
  };
  const std::size_t batch = mail::sql_store::garbage_batch;
  std::vector<std::string> inbox;
  for (std::size_t i = 0; i + 1 < batch; ++i)
    inbox.push_back(blob_of("INBOX", f.st->append(f.alice, "INBOX", "message " + std::to_string(i), {"\\Deleted"}).value().uid));
  auto last = blob_of("Archive", f.st->append(f.alice, "Archive", "the last one", {"\\Deleted"}).value().uid);
  REQUIRE(f.st->expunge(f.alice, "INBOX").value().uids.size() == batch - 1);
  for (auto& id : inbox) CHECK(f.blobs->exists(id));  // not yet durable: kept
  // The batch-th blob: one fsync'd marker commit, then they all go, without an append.
  REQUIRE(f.st->expunge(f.alice, "Archive").value().uids.size() == 1);
  for (auto& id : inbox) CHECK_FALSE(f.blobs->exists(id));
  CHECK_FALSE(f.blobs->exists(last));
  // A freed blob appended again before its removal is the new message's and stays.
  auto back = blob_of("INBOX", f.st->append(f.alice, "INBOX", "comes back", {"\\Deleted"}).value().uid);
  REQUIRE(f.st->expunge(f.alice, "INBOX"));
  REQUIRE(f.st->append(f.alice, "Drafts", "covers the expunge"));
  auto again = f.st->append(f.alice, "Drafts", "comes back").value();
  CHECK(blob_of("Drafts", again.uid) == back);
  CHECK(f.blobs->get(back).value() == "comes back");
  REQUIRE(f.st->append(f.alice, "Drafts", "one more"));
  CHECK(f.blobs->exists(back));
  // A store closed with blobs pending removes them (one durable commit first).
  auto one = blob_of("INBOX", f.st->append(f.alice, "INBOX", "closing", {"\\Deleted"}).value().uid);
  REQUIRE(f.st->expunge(f.alice, "INBOX"));
  CHECK(f.blobs->exists(one));
  f.st.reset();
  CHECK_FALSE(f.blobs->exists(one));
}

TEST_CASE("store: view lists uids, modseqs and keywords in use") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  auto a = f.st->append(f.alice, "INBOX", "one", {"\\Seen", "$Work"}).value();
  auto b = f.st->append(f.alice, "INBOX", "two", {"$Alpha", "\\Flagged"}).value();
  f.st->append(f.alice, "INBOX", "three").value();
  REQUIRE(f.st->expunge(f.alice, "INBOX", mail::uid_set{{b.uid, b.uid}}));  // not \Deleted: stays
  auto v = f.st->view(f.alice, "INBOX").value();
  REQUIRE(v.messages.size() == 3);
  CHECK(v.messages[0].uid == a.uid);
  CHECK(v.messages[0].modseq == a.modseq);
  CHECK(v.messages[2].uid == 3);
  CHECK(v.keywords == std::vector<std::string>{"$Alpha", "$Work"});
  CHECK(f.st->view(f.alice, "Nope").error().code == "mail.no_mailbox");
  CHECK(f.st->view(f.alice, "Trash").value().messages.empty());
}

TEST_CASE("store: derived data per blob, gone with the blob") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres), 0, GENERATE(false, true)};
  auto a = f.st->append(f.alice, "INBOX", "body a").value();
  f.st->append(f.alice, "INBOX", "body b").value();
  auto ids = f.st->fetch(f.alice, "INBOX", {{1, uid_max}}).value();
  REQUIRE(ids.size() == 2);
  CHECK(f.st->blob_meta({ids[0].blob_id, ids[1].blob_id}).value() ==
        std::vector<std::optional<std::string>>{std::nullopt, std::nullopt});
  REQUIRE(f.st->put_blob_meta(ids[0].blob_id, std::string("x\0y", 3)));
  REQUIRE(f.st->put_blob_meta(ids[1].blob_id, "second"));
  REQUIRE(f.st->put_blob_meta(ids[1].blob_id, "replaced"));
  REQUIRE(f.st->put_blob_meta("no-such-blob", "ignored"));  // no message names it: not stored
  auto got = f.st->blob_meta({ids[0].blob_id, "no-such-blob", ids[1].blob_id}).value();
  REQUIRE(got.size() == 3);
  CHECK(got[0] == std::string("x\0y", 3));
  CHECK_FALSE(got[1].has_value());
  CHECK(got[2] == "replaced");
  // Expunging the last message naming a blob removes its row with the blob.
  REQUIRE(f.st->store_flags(f.alice, "INBOX", {{a.uid, a.uid}}, mail::flag_mode::add, {"\\Deleted"}));
  REQUIRE(f.st->expunge(f.alice, "INBOX"));
  REQUIRE(f.st->append(f.alice, "Drafts", "a durable write"));  // covers the expunge
  REQUIRE(f.st->append(f.alice, "Drafts", "another durable write"));  // removes its blob
  got = f.st->blob_meta({ids[0].blob_id, ids[1].blob_id}).value();
  CHECK_FALSE(got[0].has_value());
  CHECK(got[1] == "replaced");
}

TEST_CASE("store: append_blob writes the blob's derived data in the message's commit") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  auto id = f.blobs->put("streamed body").value();
  // Refused (no such mailbox): neither the row nor the data.
  CHECK(f.st->append_blob(f.alice, "Nowhere", id, {}, std::nullopt, "meta").error().code == "mail.no_mailbox");
  CHECK_FALSE(f.st->blob_meta({id}).value().at(0).has_value());
  // Stored: the data is there as soon as append_blob returns, with any octet in it.
  auto a = f.st->append_blob(f.alice, "INBOX", id, {}, std::nullopt, std::string("s\0um", 4)).value();
  CHECK(f.st->blob_meta({id}).value().at(0) == std::string("s\0um", 4));
  // A second message of the same blob replaces it; an empty one leaves it alone.
  f.st->append_blob(f.alice, "Drafts", id, {}, std::nullopt, "newer").value();
  f.st->append_blob(f.alice, "Archive", id).value();
  CHECK(f.st->blob_meta({id}).value().at(0) == "newer");
  CHECK(f.st->fetch(f.alice, "INBOX", {{a.uid, a.uid}}).value().at(0).blob_id == id);
}

TEST_CASE("store: concurrent appends from two threads get distinct ascending uids") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  constexpr int per_thread = 20;
  std::vector<std::uint32_t> got[2];
  std::atomic<int> failures{0};
  auto work = [&](int t) {
    for (int i = 0; i < per_thread; ++i) {
      auto r = f.st->append(f.alice, "INBOX", "t" + std::to_string(t) + "-" + std::to_string(i));
      if (!r) {
        ++failures;
        continue;
      }
      got[t].push_back(r->uid);
    }
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();
  CHECK(failures == 0);
  std::set<std::uint32_t> all;
  for (auto& g : got) {
    CHECK(std::is_sorted(g.begin(), g.end()));
    CHECK(std::adjacent_find(g.begin(), g.end()) == g.end());
    all.insert(g.begin(), g.end());
  }
  CHECK(all.size() == 2 * per_thread);
  CHECK(*all.begin() == 1);
  CHECK(*all.rbegin() == 2 * per_thread);
}

TEST_CASE("store: an event is published after append") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  std::vector<events::event> seen;
  std::uint32_t messages_at_event = 0;
  auto sub = f.bus.subscribe("mail.new", f.alice, [&](const events::event& e) {
    seen.push_back(e);
    // Published after the commit: the message is visible to whoever reacts.
    messages_at_event = f.st->status(f.alice, e.data).value().messages;
  });
  REQUIRE(f.st->deliver(f.alice, "hello"));
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].key == f.alice);
  CHECK(seen[0].data == "INBOX");
  CHECK(messages_at_event == 1);
  // A refused append publishes nothing.
  CHECK_FALSE(f.st->append(f.alice, "Nope", "x"));
  CHECK(seen.size() == 1);
}

TEST_CASE("store: names and flags canonical forms") {
  CHECK(mail::canonical_mailbox_name("inbox/Sub") == "INBOX/Sub");
  CHECK(mail::canonical_mailbox_name("Entw\xc3\xbc" "rfe") == "Entw\xc3\xbc" "rfe");
  CHECK_FALSE(mail::canonical_mailbox_name("/x"));
  CHECK_FALSE(mail::canonical_mailbox_name("x/"));
  CHECK_FALSE(mail::canonical_mailbox_name("\xc0\xaf"));  // overlong
  CHECK(mail::canonical_flag("\\SEEN") == "\\Seen");
  CHECK_FALSE(mail::canonical_flag("\\Recent"));
  CHECK_FALSE(mail::canonical_flag("a(b"));
  CHECK(mail::canonical_flag("$Forwarded") == "$Forwarded");
}

TEST_CASE("store: annotations, the recent mark and a hierarchy rename") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  // Values are bytes (RFC 5464): a backslash, a quote and a NUL survive both engines.
  const std::string odd("a\\b'c\0d", 7);
  REQUIRE(f.st->set_metadata(f.alice, "INBOX", {{"/private/comment", odd}, {"/shared/x", "1"}}));
  REQUIRE(f.st->set_metadata(f.alice, "", {{"/shared/admin", "mailto:a@home.test"}}));
  auto md = f.st->metadata(f.alice, "inbox").value();
  REQUIRE(md.size() == 2);
  CHECK(md[0] == std::pair<std::string, std::string>{"/private/comment", odd});
  REQUIRE(f.st->set_metadata(f.alice, "INBOX", {{"/shared/x", std::nullopt}, {"/private/comment", "new"}}));
  md = f.st->metadata(f.alice, "INBOX").value();
  REQUIRE(md.size() == 1);
  CHECK(md[0].second == "new");
  CHECK(f.st->metadata(f.alice, "").value().size() == 1);
  std::vector<std::pair<std::string, std::optional<std::string>>> many;
  for (std::size_t i = 0; i <= mail::store::max_metadata_entries; ++i)
    many.emplace_back("/private/e" + std::to_string(i), "v");
  CHECK(f.st->set_metadata(f.alice, "Sent", many).error().code == "mail.metadata_toomany");
  CHECK(f.st->metadata(f.alice, "Sent").value().empty());  // rolled back whole
  CHECK(f.st->metadata(f.alice, "Nope").error().code == "mail.no_mailbox");

  // RFC 3501 \Recent: the first claim takes the messages, the next finds none.
  for (int i = 0; i < 3; ++i) f.st->append(f.alice, "INBOX", "r" + std::to_string(i)).value();
  CHECK(f.st->status(f.alice, "INBOX").value().recent == 3);
  CHECK(f.st->claim_recent(f.alice, "INBOX", 2).value() == 0);
  CHECK(f.st->status(f.alice, "INBOX").value().recent == 1);
  CHECK(f.st->claim_recent(f.alice, "INBOX", 3).value() == 2);
  CHECK(f.st->claim_recent(f.alice, "INBOX", 3).value() == 3);
  CHECK(f.st->claim_recent(f.alice, "INBOX", 1).value() == 3);  // never lowered
  CHECK(f.st->status(f.alice, "INBOX").value().recent == 0);

  // Inferiors go with a renamed mailbox; a name that only starts alike, or that holds a LIKE
  // wildcard, does not.
  for (auto name : {"W_rk", "W_rk/Sub", "W_rk/Sub/Deep", "W_rkshop", "Wxrk/Sub", "W%rk/Sub"})
    REQUIRE(f.st->create(f.alice, name));
  REQUIRE(f.st->rename(f.alice, "W_rk", "Job"));
  std::set<std::string> names;
  for (auto& m : f.st->list(f.alice).value()) names.insert(m.name);
  for (auto name : {"Job", "Job/Sub", "Job/Sub/Deep", "W_rkshop", "Wxrk/Sub", "W%rk/Sub"}) CHECK(names.count(name) == 1);
  CHECK(names.count("W_rk") == 0);
  CHECK(names.count("W_rk/Sub") == 0);
}

TEST_CASE("store: a message with as many long keywords as allowed") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  // 16 kB of flags: more than a PostgreSQL index row may hold, so no index there includes them.
  // Varied letters, so that PostgreSQL's compression of a long index row does not save it.
  std::vector<std::string> flags;
  std::minstd_rand gen(7);
  const std::string_view letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (std::size_t i = 0; i < mail::max_flags; ++i) {
    auto k = "$k" + std::to_string(i) + "_";
    while (k.size() < mail::max_keyword_bytes) k += letters[gen() % letters.size()];
    flags.push_back(k);
  }
  auto r = f.st->append(f.alice, "INBOX", "many keywords", flags).value();
  CHECK(f.st->fetch(f.alice, "INBOX", {{r.uid, r.uid}}).value().at(0).flags.size() == mail::max_flags);
  CHECK(f.st->view(f.alice, "INBOX").value().keywords.size() == mail::max_flags);
  REQUIRE(f.st->store_flags(f.alice, "INBOX", {{r.uid, r.uid}}, mail::flag_mode::remove, {flags[0]}));
  CHECK(f.st->fetch_flags(f.alice, "INBOX").value().at(0).flags.size() == mail::max_flags - 1);
}

TEST_CASE("store: a SQLite file from before the port opens, upgrades and keeps working") {
  // Made as older Hearth made it: the first four "mail" migrations, rows written with their
  // SQL (no save date, no recent mark, annotations as text); then opened by this code.
  test_database db{sql::engine::sqlite};
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() / ("hearth_store_old_" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  blob::store blobs(dir / "blobs");
  const std::string alice = "alice@home.test";
  std::vector<std::string> ids;
  {
    auto old = sql::open(db.target).value();
    auto& c = old->get();
    REQUIRE(sql::migrate(c, "mail", mail::store_migrations(sql::engine::sqlite).first(4)).value() == 4);
    REQUIRE(c.exec("INSERT INTO mail_counters(name, value) VALUES('uidvalidity', 1700000000)"));
    struct old_box {
      const char* name;
      const char* use;
      int uidvalidity, uidnext;
    };
    const old_box boxes[] = {{"INBOX", "", 1699999990, 3},         {"Sent", "\\Sent", 1699999991, 1},
                             {"Drafts", "\\Drafts", 1699999992, 1}, {"Trash", "\\Trash", 1699999993, 1},
                             {"Junk", "\\Junk", 1699999994, 1},     {"Archive", "\\Archive", 1700000000, 1}};
    for (auto& b : boxes)
      REQUIRE(c.query("INSERT INTO mail_mailboxes(account, name, special_use, uidvalidity, uidnext, highestmodseq) "
                      "VALUES(?1, ?2, ?3, ?4, ?5, ?5)",
                      alice, b.name, b.use, b.uidvalidity, b.uidnext));
    for (int i = 1; i <= 2; ++i) {
      ids.push_back(blobs.put("Subject: old " + std::to_string(i) + "\r\n\r\nbody\r\n").value());
      REQUIRE(c.query("INSERT INTO mail_messages(mailbox_id, account, uid, modseq, flags, seen, deleted, internal_date, "
                      "size, blob_id) SELECT id, ?1, ?2, ?2 + 1, ?3, ?4, 0, 1600000000, ?5, ?6 FROM mail_mailboxes "
                      "WHERE account = ?1 AND name = 'INBOX'",
                      alice, i, i == 1 ? "\\Seen $Old" : "", i == 1, blobs.size_of(ids.back()).value(), ids.back()));
    }
  }
  auto st = mail::store::open(db.target, blobs).value();
  {
    auto check = sql::open(db.target).value();
    CHECK(check->get().query_int("SELECT MAX(version) FROM schema_migrations WHERE component = 'mail'").value() ==
          static_cast<std::int64_t>(mail::store_migrations(sql::engine::sqlite).size()));
    // An annotation as the older code stored it (text in the BLOB column).
    auto inbox = check->get().query_int("SELECT id FROM mail_mailboxes WHERE name = 'INBOX'").value().value();
    REQUIRE(check->get().query("INSERT INTO mail_metadata(account, mailbox_id, entry, value) VALUES(?1, ?2, ?3, ?4)",
                               alice, inbox, "/private/comment", "written as text"));
  }
  auto msgs = st->fetch(alice, "INBOX", {{1, uid_max}}).value();
  REQUIRE(msgs.size() == 2);
  CHECK(msgs[0].flags == std::vector<std::string>{"\\Seen", "$Old"});
  CHECK_FALSE(msgs[0].save_date.has_value());  // RFC 8514 §4.2: NIL for older messages
  CHECK(blobs.get(msgs[1].blob_id).value() == "Subject: old 2\r\n\r\nbody\r\n");
  auto s = st->status(alice, "INBOX").value();
  CHECK(s.uidvalidity == 1699999990);
  CHECK(s.recent == 0);  // stored before the recent mark: not recent after the upgrade
  CHECK(s.unseen == 1);
  CHECK(st->view(alice, "INBOX").value().keywords == std::vector<std::string>{"$Old"});
  CHECK(st->metadata(alice, "INBOX").value().at(0).second == "written as text");
  auto r = st->append(alice, "INBOX", "new").value();
  CHECK(r.uid == 3);
  CHECK(r.modseq == 4);
  CHECK(st->fetch(alice, "INBOX", {{3, 3}}).value().at(0).save_date.has_value());
  CHECK(st->create(alice, "New").value().uidvalidity > 1700000000);
  st.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST_CASE("store: with a database tier, small messages are written with their row, large ones as files") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres), 0, true};
  auto files = [&] {
    std::size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(f.dir / "blobs", ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file()) ++n;
    return n;
  };
  const std::string small(64 * 1024, 's'), large(64 * 1024 + 1, 'l');
  auto a = f.st->append(f.alice, "INBOX", small).value();
  CHECK(files() == 0);
  auto b = f.st->deliver(f.alice, large).value();
  CHECK(files() == 1);
  auto m = f.st->fetch(f.alice, "INBOX", {{1, uid_max}}).value();
  REQUIRE(m.size() == 2);
  CHECK(m[0].size == small.size());
  CHECK(f.blobs->get(m[0].blob_id).value() == small);
  CHECK(f.blobs->get(m[1].blob_id).value() == large);
  CHECK(f.blobs->database()->size_of(m[0].blob_id).value().value() == small.size());
  // A message refused (quota, no mailbox) leaves no row in the blob table: one transaction.
  CHECK(f.st->append(f.alice, "Nowhere", "lost in transit").error().code == "mail.no_mailbox");
  CHECK_FALSE(f.blobs->exists(blob::id_of("lost in transit")));
  // append_blob of content the blob store put in the database.
  auto id = f.blobs->put("put first").value();
  CHECK(files() == 1);
  auto c = f.st->append_blob(f.alice, "Archive", id).value();
  CHECK(f.st->fetch(f.alice, "Archive", {{c.uid, c.uid}}).value().at(0).size == 9);
  // The last copy gone, the row goes (under the next durable commit's lock).
  REQUIRE(f.st->store_flags(f.alice, "INBOX", {{a.uid, b.uid}}, mail::flag_mode::add, {"\\Deleted"}));
  REQUIRE(f.st->expunge(f.alice, "INBOX"));
  REQUIRE(f.st->append(f.alice, "Drafts", "one"));
  REQUIRE(f.st->append(f.alice, "Drafts", "two"));
  CHECK_FALSE(f.blobs->exists(m[0].blob_id));
  CHECK_FALSE(f.blobs->exists(m[1].blob_id));
  CHECK_FALSE(f.blobs->database()->size_of(m[0].blob_id).value().has_value());
  CHECK(files() == 0);
  CHECK(f.blobs->exists(id));
  // blob_ids() names blobs of both kinds.
  auto ids = f.st->blob_ids().value();
  CHECK(std::find(ids.begin(), ids.end(), id) != ids.end());
}
