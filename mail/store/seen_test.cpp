// seen_store on both engines. The mailboxes and messages tables are the mail store's
// (store::open makes them): the first cases use stand-ins with the same names and key columns,
// so that the per-user rules (each user's own state, one modseq per change from the mailbox's
// counter, entries going with their message and mailbox) are seen alone; the last runs beside
// the real store, whose moves, expunges, renames and modseqs the entries must follow.
#include "mail/store/seen.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <random>

#include "core/blob/store.hpp"
#include "core/events/bus.hpp"
#include "core/sql/sql.hpp"
#include "directory/directory.hpp"
#include "mail/store/acl.hpp"
#include "mail/store/store.hpp"
#include "tests/unit/test_database.hpp"

using namespace hearth;

namespace {

struct mail_tables {
  std::unique_ptr<sql::database> db;
  explicit mail_tables(const std::string& target) : db(sql::open(target).value()) {
    for (std::string ddl : {
             "CREATE TABLE accounts(id INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE)",
             "INSERT INTO accounts(address) VALUES ('alice@home.test'), ('bob@home.test'), ('carol@home.test')",
             "CREATE TABLE mail_mailboxes(id INTEGER PRIMARY KEY, account TEXT NOT NULL, name TEXT NOT NULL, "
             "highestmodseq INTEGER NOT NULL DEFAULT 1)",
             "CREATE TABLE mail_messages(id INTEGER PRIMARY KEY, mailbox_id INTEGER NOT NULL REFERENCES "
             "mail_mailboxes(id) ON DELETE CASCADE, uid INTEGER NOT NULL, UNIQUE(mailbox_id, uid))"}) {
      if (db->kind() == sql::engine::postgres) ddl = sql::postgres_ddl(ddl);
      REQUIRE(db->get().exec(ddl));
    }
  }
  std::int64_t add(std::string_view account, std::string_view name, std::uint32_t messages) {
    auto id = db->get().query_int("INSERT INTO mail_mailboxes(account, name) VALUES(?1, ?2) RETURNING id", account, name);
    REQUIRE(id);
    REQUIRE(*id);
    for (std::uint32_t uid = 1; uid <= messages; ++uid)
      REQUIRE(db->get().query("INSERT INTO mail_messages(mailbox_id, uid) VALUES(?1, ?2)", **id, std::int64_t{uid}));
    return **id;
  }
  std::int64_t highestmodseq(std::int64_t id) {
    return db->get().query_int("SELECT highestmodseq FROM mail_mailboxes WHERE id=?1", id).value().value();
  }
};

std::vector<std::uint32_t> seen_uids(const std::vector<mail::seen_entry>& es) {
  std::vector<std::uint32_t> out;
  for (const auto& e : es)
    if (e.seen) out.push_back(e.uid);
  return out;
}

using uids = std::vector<std::uint32_t>;

directory::stored_credentials creds() { return {"$argon2id$v=19$x", "i=4096,s=x", "i=4096,t=x"}; }

// A temporary folder for the real store's blobs.
struct temp_dir {
  std::filesystem::path d;
  explicit temp_dir(std::string_view name) {
    std::random_device rd;
    d = std::filesystem::temp_directory_path() / (std::string(name) + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(d);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(d, ec);
  }
};

}  // namespace

TEST_CASE("seen store: each user's own \\Seen, one modseq per change from the mailbox's counter") {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  INFO(engine_name(t.engine));
  mail_tables mt(t.target);
  const auto inbox = mt.add("alice@home.test", "INBOX", 4);
  mt.add("alice@home.test", "Other", 4);
  events::bus bus;
  int changed = 0;
  auto sub = bus.subscribe("mail.changed", "alice@home.test", [&](const events::event& e) {
    CHECK(e.data == "INBOX");
    ++changed;
  });
  auto seen = mail::seen_store::open(t.target, &bus).value();

  CHECK(seen->set("alice@home.test", "Nope", "bob@home.test", {1}, true).error().code == "mail.no_mailbox");
  CHECK(seen->entries("alice@home.test", "INBOX", "bob@home.test").value().empty());
  CHECK(seen->count_seen("alice@home.test", "INBOX", "bob@home.test").value() == 0);

  // Uid 9 has no message: ignored. The change takes the mailbox's next modseq.
  const auto before = mt.highestmodseq(inbox);
  auto set = seen->set("alice@home.test", "inbox", "bob@home.test", {1, 3, 9}, true).value();
  REQUIRE(set.size() == 2);
  CHECK(set[0].uid == 1);
  CHECK(set[1].uid == 3);
  CHECK(set[0].modseq == static_cast<std::uint64_t>(before + 1));
  CHECK(set[1].modseq == set[0].modseq);
  CHECK(mt.highestmodseq(inbox) == before + 1);
  CHECK(changed == 1);
  // Nothing changes: no new modseq, no event.
  CHECK(seen->set("alice@home.test", "INBOX", "bob@home.test", {1, 3}, true).value().empty());
  CHECK(mt.highestmodseq(inbox) == before + 1);
  CHECK(changed == 1);

  // Carol's state is her own, and so is each mailbox's.
  CHECK(seen->set("alice@home.test", "INBOX", "carol@home.test", {2}, true).value().size() == 1);
  CHECK(seen_uids(seen->entries("alice@home.test", "INBOX", "bob@home.test").value()) == uids{1, 3});
  CHECK(seen_uids(seen->entries("alice@home.test", "INBOX", "carol@home.test").value()) == uids{2});
  CHECK(seen->entries("alice@home.test", "Other", "bob@home.test").value().empty());
  CHECK(seen->count_seen("alice@home.test", "INBOX", "bob@home.test").value() == 2);
  CHECK(seen->count_seen("alice@home.test", "INBOX", "carol@home.test").value() == 1);
  // Only the uids asked for.
  CHECK(seen_uids(seen->entries("alice@home.test", "INBOX", "bob@home.test", 0, {2, 4}).value()) == uids{3});

  // Unseen again: the entry stays, unseen, with a new modseq, so a CONDSTORE client learns it.
  const auto mark = mt.highestmodseq(inbox);
  auto unset = seen->set("alice@home.test", "INBOX", "bob@home.test", {3, 4}, false).value();
  REQUIRE(unset.size() == 1);  // 4 was never seen
  CHECK(unset[0].uid == 3);
  CHECK_FALSE(unset[0].seen);
  auto since = seen->entries("alice@home.test", "INBOX", "bob@home.test", static_cast<std::uint64_t>(mark)).value();
  REQUIRE(since.size() == 1);
  CHECK(since[0].uid == 3);
  CHECK_FALSE(since[0].seen);
  CHECK(since[0].modseq == static_cast<std::uint64_t>(mark + 1));
  CHECK(seen->count_seen("alice@home.test", "INBOX", "bob@home.test").value() == 1);
}

TEST_CASE("seen store: entries go with their message and mailbox, and keep through a rename") {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  INFO(engine_name(t.engine));
  mail_tables mt(t.target);
  const auto id = mt.add("alice@home.test", "Family", 3);
  auto seen = mail::seen_store::open(t.target).value();
  REQUIRE(seen->set("alice@home.test", "Family", "bob@home.test", {1, 2, 3}, true).value().size() == 3);
  // An expunge removes the message row.
  REQUIRE(mt.db->get().query("DELETE FROM mail_messages WHERE mailbox_id=?1 AND uid=2", id));
  CHECK(seen_uids(seen->entries("alice@home.test", "Family", "bob@home.test").value()) == uids{1, 3});
  CHECK(seen->count_seen("alice@home.test", "Family", "bob@home.test").value() == 2);
  REQUIRE(mt.db->get().query("UPDATE mail_mailboxes SET name='Home' WHERE id=?1", id));
  CHECK(seen_uids(seen->entries("alice@home.test", "Home", "bob@home.test").value()) == uids{1, 3});
  CHECK(seen->entries("alice@home.test", "Family", "bob@home.test").value().empty());
  REQUIRE(mt.db->get().query("DELETE FROM mail_mailboxes WHERE id=?1", id));
  CHECK(seen->entries("alice@home.test", "Home", "bob@home.test").value().empty());
  auto n = mt.db->get().query_int("SELECT COUNT(*) FROM mail_seen");
  REQUIRE(n);
  CHECK(n->value_or(-1) == 0);
}

TEST_CASE("seen store: beside the real mail store, one modseq counter, entries follow its messages") {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  INFO(engine_name(t.engine));
  temp_dir tmp("hearth_seen_test_");
  blob::store blobs(tmp.d / "blobs");
  auto dir = directory::directory::open(t.target).value();
  dir->add_domain("home.test").value();
  const std::string alice = "alice@home.test", bob = "bob@home.test";
  for (const auto& a : {alice, bob}) dir->add_account(a, creds()).value();
  auto st = mail::store::open(t.target, blobs).value();
  auto seen = mail::seen_store::open(t.target).value();
  REQUIRE(st->create(alice, "Family"));
  for (int i = 0; i < 3; ++i) REQUIRE(st->append(alice, "Family", "Subject: " + std::to_string(i) + "\r\n\r\nhi\r\n"));

  auto set = seen->set(alice, "Family", bob, {1, 2, 3}, true).value();
  REQUIRE(set.size() == 3);
  // The store's HIGHESTMODSEQ covers the change, and its next change comes after it.
  CHECK(st->status(alice, "Family").value().highestmodseq == set[0].modseq);
  auto flagged = st->store_flags(alice, "Family", {{1, 1}}, mail::flag_mode::add, {"\\Flagged"}).value();
  REQUIRE(flagged.updated.size() == 1);
  CHECK(flagged.updated[0].modseq > set[0].modseq);
  // Alice's own \Seen is untouched.
  CHECK(st->status(alice, "Family").value().unseen == 3);

  // MOVE's source and an expunge take the entries with them.
  REQUIRE(st->move(alice, "Family", {{2, 2}}, "INBOX"));
  REQUIRE(st->store_flags(alice, "Family", {{3, 3}}, mail::flag_mode::add, {"\\Deleted"}));
  REQUIRE(st->expunge(alice, "Family"));
  CHECK(seen_uids(seen->entries(alice, "Family", bob).value()) == uids{1});
  CHECK(seen->entries(alice, "INBOX", bob).value().empty());
  // RENAME keeps them; DELETE drops them.
  REQUIRE(st->rename(alice, "Family", "Home"));
  CHECK(seen_uids(seen->entries(alice, "Home", bob).value()) == uids{1});
  CHECK(seen->count_seen(alice, "Home", bob).value() == 1);
  REQUIRE(st->remove(alice, "Home"));
  CHECK(seen->entries(alice, "Home", bob).value().empty());
}

TEST_CASE("seen store: a sharee's entries go when their right to read or their account goes") {
  test_database t{GENERATE(sql::engine::sqlite, sql::engine::postgres)};
  INFO(engine_name(t.engine));
  temp_dir tmp("hearth_seen_revoke_test_");
  blob::store blobs(tmp.d / "blobs");
  auto dir = directory::directory::open(t.target).value();
  dir->add_domain("home.test").value();
  const std::string alice = "alice@home.test", bob = "bob@home.test", carol = "carol@home.test";
  for (const auto& a : {alice, bob, carol}) dir->add_account(a, creds()).value();
  auto st = mail::store::open(t.target, blobs).value();
  auto acl = mail::acl_store::open(t.target).value();
  auto seen = mail::seen_store::open(t.target).value();
  REQUIRE(st->create(alice, "Family"));
  for (int i = 0; i < 3; ++i) REQUIRE(st->append(alice, "Family", "Subject: " + std::to_string(i) + "\r\n\r\nhi\r\n"));
  REQUIRE(st->status(alice, "INBOX"));
  REQUIRE(st->append(alice, "INBOX", "Subject: x\r\n\r\nhi\r\n"));
  REQUIRE(acl->set(alice, "Family", bob, "lrs"));
  REQUIRE(acl->set(alice, "Family", carol, "lrs"));
  REQUIRE(acl->set(alice, "INBOX", bob, "lrs"));
  REQUIRE(seen->set(alice, "Family", bob, {1, 2}, true).value().size() == 2);
  REQUIRE(seen->set(alice, "Family", carol, {3}, true).value().size() == 1);
  REQUIRE(seen->set(alice, "INBOX", bob, {1}, true).value().size() == 1);

  // Rights that still include 'r' keep the entries.
  REQUIRE(acl->set(alice, "Family", bob, "lr"));
  CHECK(seen->drop_unreadable(alice, "Family").value() == 0);
  CHECK(seen_uids(seen->entries(alice, "Family", bob).value()) == uids{1, 2});

  // Bob keeps 'l' only: his entries on Family go, Carol's and his INBOX ones stay.
  REQUIRE(acl->set(alice, "Family", bob, "l"));
  CHECK(seen->drop_unreadable(alice, "Family").value() == 2);
  CHECK(seen->entries(alice, "Family", bob).value().empty());
  CHECK(seen->count_seen(alice, "Family", bob).value() == 0);
  CHECK(seen_uids(seen->entries(alice, "Family", carol).value()) == uids{3});
  CHECK(seen_uids(seen->entries(alice, "INBOX", bob).value()) == uids{1});
  // Read access back: he starts with nothing seen.
  REQUIRE(acl->set(alice, "Family", bob, "lrs"));
  CHECK(seen->entries(alice, "Family", bob).value().empty());

  // "anyone" with 'r' keeps a user whose own grant is removed; taking it from "anyone" then
  // drops every user without a grant of their own.
  REQUIRE(seen->set(alice, "Family", bob, {2}, true).value().size() == 1);
  REQUIRE(acl->set(alice, "Family", "anyone", "lr"));
  REQUIRE(acl->set(alice, "Family", bob, ""));
  CHECK(seen->drop_unreadable(alice, "Family").value() == 0);
  CHECK(seen_uids(seen->entries(alice, "Family", bob).value()) == uids{2});
  REQUIRE(acl->set(alice, "Family", "anyone", ""));
  CHECK(seen->drop_unreadable(alice, "Family").value() == 1);
  CHECK(seen->entries(alice, "Family", bob).value().empty());
  CHECK(seen_uids(seen->entries(alice, "Family", carol).value()) == uids{3});
  // A name that is no mailbox drops nothing and is no error.
  CHECK(seen->drop_unreadable(alice, "Nothing").value() == 0);

  // Removing Bob's account takes his remaining entries (INBOX) with it.
  REQUIRE(dir->remove_account(bob));
  CHECK(seen->entries(alice, "INBOX", bob).value().empty());
  auto left = sql::open(t.target).value();
  auto n = left->get().query_int("SELECT COUNT(*) FROM mail_seen WHERE account=?1", bob);
  REQUIRE(n);
  CHECK(n->value_or(-1) == 0);
  CHECK(seen_uids(seen->entries(alice, "Family", carol).value()) == uids{3});
}
