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
#include "core/sql/write_guard.hpp"
#include "directory/directory.hpp"
#include "mail/store/sql_store.hpp"
#include "tests/unit/test_database.hpp"

using namespace hearth;
#include "mail/store/store_test_fixture.hpp"

using namespace hearth;
using namespace hearth::mail_store_test;
using mail::uid_max;

TEST_CASE("store: two store instances on one database (as two processes) share uids") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  // A second database handle with its own connections stands in for another process.
  auto other = mail::store::open(f.db.target, *f.blobs).value();
  std::vector<std::uint32_t> got;
  for (int i = 0; i < 6; ++i) {
    auto& s = i % 2 ? *other : *f.st;
    got.push_back(s.append(f.alice, "INBOX", "m" + std::to_string(i)).value().uid);
  }
  CHECK(got == u32s{1, 2, 3, 4, 5, 6});
  // Without a directory there is no account check and no quota.
  CHECK(other->deliver("carol@elsewhere.test", "x").value().uid == 1);
  CHECK(other->usage("carol@elsewhere.test").value().limit_bytes == 0);
  CHECK(other->subscribe(f.alice, "Sent", false));
  bool sent_subscribed = true;
  for (auto& m : f.st->list(f.alice).value())
    if (m.name == "Sent") sent_subscribed = m.subscribed;
  CHECK_FALSE(sent_subscribed);
  CHECK(f.st->append(f.alice, "INBOX", "x", {}, -5).error().code == "mail.invalid");
}

TEST_CASE("store: view and fetch_flags stay current after every kind of write, from either instance") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  auto other = mail::store::open(f.db.target, *f.blobs).value();  // another process
  f.st->append(f.alice, "INBOX", "one").value();
  f.st->append(f.alice, "INBOX", "two", {"\\Seen"}).value();
  auto uids_of = [&](mail::store& s) {
    u32s out;
    for (auto& m : s.view(f.alice, "INBOX").value().messages) out.push_back(m.uid);
    return out;
  };
  CHECK(uids_of(*f.st) == u32s{1, 2});  // fills the shared entry
  auto fl = f.st->fetch_flags(f.alice, "INBOX").value();
  REQUIRE(fl.size() == 2);
  CHECK(fl[0].flags.empty());
  CHECK(fl[1].flags == std::vector<std::string>{"\\Seen"});
  CHECK(fl[1].blob_id.empty());
  // Flags changed by the other instance: seen here with their new modseq.
  auto r = other->store_flags(f.alice, "INBOX", {{1, 1}}, mail::flag_mode::add, {"\\Flagged", "$Late"}).value();
  fl = f.st->fetch_flags(f.alice, "INBOX").value();
  CHECK(fl[0].flags == std::vector<std::string>{"\\Flagged", "$Late"});
  CHECK(fl[0].modseq == r.updated.at(0).modseq);
  auto v = f.st->view(f.alice, "INBOX").value();
  CHECK(v.keywords == std::vector<std::string>{"$Late"});
  CHECK(v.highestmodseq == r.updated.at(0).modseq);
  CHECK(v.messages.at(0).modseq == r.updated.at(0).modseq);
  // Append and expunge by the other instance.
  other->append(f.alice, "INBOX", "three").value();
  CHECK(uids_of(*f.st) == u32s{1, 2, 3});
  REQUIRE(other->store_flags(f.alice, "INBOX", {{2, 2}}, mail::flag_mode::add, {"\\Deleted"}));
  CHECK(f.st->fetch_flags(f.alice, "INBOX").value().at(1).flags == std::vector<std::string>{"\\Seen", "\\Deleted"});
  REQUIRE(other->expunge(f.alice, "INBOX", mail::uid_set{{2, 2}}));
  CHECK(uids_of(*f.st) == u32s{1, 3});
  // Copy into and move out of the mailbox.
  REQUIRE(other->copy(f.alice, "INBOX", {{1, 1}}, "Archive"));
  CHECK(f.st->fetch_flags(f.alice, "Archive").value().size() == 1);
  REQUIRE(other->move(f.alice, "INBOX", {{3, 3}}, "Archive"));
  CHECK(uids_of(*f.st) == u32s{1});
  CHECK(f.st->view(f.alice, "Archive").value().messages.size() == 2);
  // A mailbox deleted and created again (possibly the same row id) starts empty.
  REQUIRE(f.st->create(f.alice, "Tmp"));
  f.st->append(f.alice, "Tmp", "t").value();
  CHECK(f.st->view(f.alice, "Tmp").value().messages.size() == 1);
  REQUIRE(other->remove(f.alice, "Tmp"));
  REQUIRE(other->create(f.alice, "Tmp"));
  CHECK(f.st->view(f.alice, "Tmp").value().messages.empty());
  CHECK(f.st->fetch_flags(f.alice, "Nope").error().code == "mail.no_mailbox");
}

TEST_CASE("store: a flag index kept up to date from the changes equals the mailbox read whole") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  const std::vector<std::string> names{"\\Seen", "\\Flagged", "$A", "$B"};
  for (int i = 0; i < 12; ++i) f.st->append(f.alice, "INBOX", "m" + std::to_string(i)).value();
  REQUIRE(f.st->fetch_flags(f.alice, "INBOX"));  // the index this instance then keeps current
  std::mt19937 rng(20);
  for (int round = 0; round < 12; ++round) {
    // Two writes of random kinds by this instance between two reads.
    for (int w = 0; w < 2; ++w) {
      const auto uids = f.st->view(f.alice, "INBOX").value().messages;
      REQUIRE_FALSE(uids.empty());
      const std::uint32_t lo = uids[rng() % uids.size()].uid, hi = uids[rng() % uids.size()].uid;
      const mail::uid_set set{{std::min(lo, hi), std::max(lo, hi)}};
      switch (rng() % 5) {
        case 0: f.st->append(f.alice, "INBOX", "new", {names[rng() % 4]}).value(); break;
        case 1: REQUIRE(f.st->store_flags(f.alice, "INBOX", set, mail::flag_mode::add, {names[rng() % 4]})); break;
        case 2: REQUIRE(f.st->store_flags(f.alice, "INBOX", set, mail::flag_mode::remove, {"$A", "$B"})); break;
        case 3:
          REQUIRE(f.st->store_flags(f.alice, "INBOX", {{lo, lo}}, mail::flag_mode::add, {"\\Deleted"}));
          REQUIRE(f.st->expunge(f.alice, "INBOX", mail::uid_set{{lo, lo}}));
          break;
        default: REQUIRE(f.st->move(f.alice, "INBOX", {{hi, hi}}, "Archive")); break;
      }
    }
    auto kept = f.st->fetch_flags(f.alice, "INBOX").value();
    auto kept_view = f.st->view(f.alice, "INBOX").value();
    auto fresh = mail::store::open(f.db.target, *f.blobs).value();  // an empty cache: reads every row
    auto whole = fresh->fetch_flags(f.alice, "INBOX").value();
    auto whole_view = fresh->view(f.alice, "INBOX").value();
    REQUIRE(kept.size() == whole.size());
    for (std::size_t i = 0; i < kept.size(); ++i) {
      CHECK(kept[i].uid == whole[i].uid);
      CHECK(kept[i].modseq == whole[i].modseq);
      CHECK(kept[i].flags == whole[i].flags);
    }
    CHECK(kept_view.keywords == whole_view.keywords);
    CHECK(kept_view.highestmodseq == whole_view.highestmodseq);
    CHECK(kept_view.uidnext == whole_view.uidnext);
    CHECK(kept_view.messages.size() == whole_view.messages.size());
  }
}

TEST_CASE("store: a rename or delete by another instance is seen by the next read of the name") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  auto other = mail::store::open(f.db.target, *f.blobs).value();  // another process or node
  REQUIRE(f.st->create(f.alice, "Box"));
  f.st->append(f.alice, "Box", "one").value();
  f.st->append(f.alice, "Box", "two").value();
  // Every read here learns the mailbox by name (and caches what it may).
  const auto box = f.st->view(f.alice, "Box").value();
  CHECK(box.messages.size() == 2);
  CHECK(f.st->fetch(f.alice, "Box", {{1, uid_max}}).value().size() == 2);
  CHECK(f.st->changes_since(f.alice, "Box", box.highestmodseq).value().changed.empty());
  CHECK(f.st->claim_recent(f.alice, "Box", 2).value() == 0);
  REQUIRE(other->rename(f.alice, "Box", "Moved"));
  for (auto* s : {f.st.get(), other.get()}) {
    CHECK(s->view(f.alice, "Box").error().code == "mail.no_mailbox");
    CHECK(s->fetch(f.alice, "Box", {{1, uid_max}}).error().code == "mail.no_mailbox");
    CHECK(s->fetch_flags(f.alice, "Box").error().code == "mail.no_mailbox");
    CHECK(s->changes_since(f.alice, "Box", 0).error().code == "mail.no_mailbox");
    CHECK(s->claim_recent(f.alice, "Box", 5).error().code == "mail.no_mailbox");
    CHECK(s->status(f.alice, "Box").error().code == "mail.no_mailbox");
  }
  // The renamed mailbox keeps its uidvalidity and messages; a new one under the old name is
  // another mailbox, empty.
  auto moved = f.st->view(f.alice, "Moved").value();
  CHECK(moved.uidvalidity == box.uidvalidity);
  CHECK(moved.messages.size() == 2);
  CHECK(f.st->claim_recent(f.alice, "Moved", 2).value() == 2);
  REQUIRE(other->create(f.alice, "Box"));
  auto again = f.st->view(f.alice, "Box").value();
  CHECK(again.uidvalidity != box.uidvalidity);
  CHECK(again.messages.empty());
  CHECK(f.st->fetch(f.alice, "Box", {{1, uid_max}}).value().empty());
  CHECK(f.st->changes_since(f.alice, "Box", 0).value().changed.empty());
  REQUIRE(other->remove(f.alice, "Moved"));
  CHECK(f.st->view(f.alice, "Moved").error().code == "mail.no_mailbox");
  CHECK(f.st->changes_since(f.alice, "Moved", 0).error().code == "mail.no_mailbox");
  CHECK(f.st->fetch(f.alice, "Moved", {{1, uid_max}}).error().code == "mail.no_mailbox");
}

TEST_CASE("store: changes_since reports changed, new and expunged messages and the modseq in one answer") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  for (int i = 0; i < 4; ++i) f.st->append(f.alice, "INBOX", "m" + std::to_string(i)).value();
  const auto since = f.st->status(f.alice, "INBOX").value().highestmodseq;
  CHECK(f.st->changes_since(f.alice, "INBOX", since).value().changed.empty());
  REQUIRE(f.st->store_flags(f.alice, "INBOX", {{3, 3}}, mail::flag_mode::add, {"\\Seen", "$Work"}));
  REQUIRE(f.st->store_flags(f.alice, "INBOX", {{1, 2}}, mail::flag_mode::add, {"\\Deleted"}));
  REQUIRE(f.st->expunge(f.alice, "INBOX", mail::uid_set{{1, 2}}));
  auto added = f.st->append(f.alice, "INBOX", "new", {"\\Flagged"}, 1000).value();
  auto ch = f.st->changes_since(f.alice, "INBOX", since).value();
  CHECK(ch.highestmodseq == added.modseq);
  CHECK(ch.highestmodseq == f.st->status(f.alice, "INBOX").value().highestmodseq);
  CHECK(ch.vanished == u32s{1, 2});
  REQUIRE(ch.changed.size() == 2);
  CHECK(ch.changed[0].uid == 3);
  CHECK(ch.changed[0].flags == std::vector<std::string>{"\\Seen", "$Work"});
  CHECK(ch.changed[1].uid == added.uid);
  CHECK(ch.changed[1].modseq == added.modseq);
  CHECK(ch.changed[1].flags == std::vector<std::string>{"\\Flagged"});
  CHECK(ch.changed[1].internal_date == 1000);
  CHECK(ch.changed[1].size == 3);
  CHECK(!ch.changed[1].blob_id.empty());
  CHECK(ch.changed[1].save_date.has_value());
  // Nothing after the last change.
  auto none = f.st->changes_since(f.alice, "INBOX", ch.highestmodseq).value();
  CHECK(none.changed.empty());
  CHECK(none.vanished.empty());
  CHECK(none.highestmodseq == ch.highestmodseq);
}

TEST_CASE("store: the counts STATUS and LIST report follow every kind of write") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  auto other = mail::store::open(f.db.target, *f.blobs).value();  // another process or node
  // What the counts must be: computed from the messages themselves.
  auto check_counts = [&](const std::string& box) {
    INFO(box);
    auto msgs = f.st->fetch(f.alice, box, {{1, uid_max}}).value();
    std::uint32_t unseen = 0, deleted = 0;
    std::uint64_t bytes = 0;
    for (auto& m : msgs) {
      unseen += std::find(m.flags.begin(), m.flags.end(), "\\Seen") == m.flags.end();
      deleted += std::find(m.flags.begin(), m.flags.end(), "\\Deleted") != m.flags.end();
      bytes += m.size;
    }
    auto st = f.st->status(f.alice, box).value();
    CHECK(st.messages == msgs.size());
    CHECK(st.unseen == unseen);
    CHECK(st.deleted == deleted);
    CHECK(st.bytes == bytes);
    for (auto& info : f.st->list(f.alice).value())
      if (info.name == st.name) {
        CHECK(info.messages == st.messages);
        CHECK(info.unseen == st.unseen);
        CHECK(info.deleted == st.deleted);
        CHECK(info.bytes == st.bytes);
      }
  };
  auto check_all = [&] {
    for (auto box : {"INBOX", "Archive", "Trash", "Moved"}) check_counts(box);
  };
  REQUIRE(f.st->create(f.alice, "Moved"));
  f.st->append(f.alice, "INBOX", "one").value();
  f.st->append(f.alice, "INBOX", "two two", {"\\Seen"}).value();
  other->append(f.alice, "INBOX", "three", {"\\Deleted", "\\Flagged"}).value();
  f.st->deliver(f.alice, "four four four").value();
  check_all();
  REQUIRE(f.st->store_flags(f.alice, "INBOX", {{1, 4}}, mail::flag_mode::add, {"\\Seen"}));
  check_all();
  REQUIRE(other->store_flags(f.alice, "INBOX", {{2, 3}}, mail::flag_mode::remove, {"\\Seen", "\\Deleted"}));
  check_all();
  REQUIRE(f.st->store_flags(f.alice, "INBOX", {{1, 1}}, mail::flag_mode::set, {"\\Deleted", "$X"}));
  REQUIRE(f.st->store_flags(f.alice, "INBOX", {{1, 1}}, mail::flag_mode::set, {"\\Deleted", "$X"}));  // no change
  check_all();
  REQUIRE(f.st->copy(f.alice, "INBOX", {{1, 3}}, "Archive"));
  check_all();
  REQUIRE(other->move(f.alice, "INBOX", {{2, 2}}, "Trash"));
  REQUIRE(f.st->move(f.alice, "Archive", {{1, 1}}, "Archive"));  // within one mailbox
  check_all();
  REQUIRE(f.st->expunge(f.alice, "INBOX"));
  REQUIRE(other->store_flags(f.alice, "Archive", {{1, uid_max}}, mail::flag_mode::add, {"\\Deleted"}));
  REQUIRE(f.st->expunge(f.alice, "Archive", mail::uid_set{{2, 2}}));
  check_all();
  // RFC 9051 §6.3.6: renaming INBOX moves its messages into the new mailbox.
  REQUIRE(f.st->rename(f.alice, "INBOX", "Old"));
  check_counts("Old");
  check_all();
  REQUIRE(f.st->remove(f.alice, "Moved"));
  REQUIRE(f.st->create(f.alice, "Moved"));
  check_all();
}

TEST_CASE("store: an account removed from the directory is refused at once by append and copy") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  f.st->append(f.alice, "INBOX", "one").value();
  CHECK(f.st->status(f.alice, "INBOX").value().messages == 1);  // the account is now known
  REQUIRE(f.users->remove_account(f.alice));
  CHECK(f.st->append(f.alice, "INBOX", "two").error().code == "mail.no_account");
  CHECK(f.st->deliver(f.alice, "two").error().code == "mail.no_account");
  CHECK(f.st->copy(f.alice, "INBOX", {{1, 1}}, "Archive").error().code == "mail.no_account");
}

TEST_CASE("store: two store instances on one database append to one mailbox at once") {
  fixture f{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  // As two nodes on one PostgreSQL database (or two processes on one SQLite file): each
  // instance has its own connections; the uids and modseqs they hand out must not collide.
  auto other = mail::store::open(f.db.target, *f.blobs, f.users.get()).value();
  mail::store* stores[2] = {f.st.get(), other.get()};
  constexpr int per_node = 15;
  std::vector<mail::append_result> got[2];
  std::atomic<int> failures{0};
  auto work = [&](int n) {
    for (int i = 0; i < per_node; ++i) {
      auto r = stores[n]->append(f.alice, "INBOX", "node" + std::to_string(n) + "-" + std::to_string(i));
      if (r) got[n].push_back(*r);
      else ++failures;
    }
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();
  CHECK(failures == 0);
  std::set<std::uint32_t> uids;
  std::set<std::uint64_t> modseqs;
  for (auto& g : got) {
    for (std::size_t i = 1; i < g.size(); ++i) {
      CHECK(g[i - 1].uid < g[i].uid);
      CHECK(g[i - 1].modseq < g[i].modseq);
    }
    for (auto& r : g) {
      uids.insert(r.uid);
      modseqs.insert(r.modseq);
    }
  }
  CHECK(uids.size() == 2 * per_node);
  CHECK(modseqs.size() == 2 * per_node);
  CHECK(*uids.rbegin() == 2 * per_node);
  auto s = other->status(f.alice, "INBOX").value();
  CHECK(s.messages == 2 * per_node);
  CHECK(s.uidnext == 2 * per_node + 1);
  CHECK(s.highestmodseq == *modseqs.rbegin());
  CHECK(f.uids("INBOX").size() == 2 * per_node);
}
