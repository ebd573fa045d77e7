// seen_store on core/sql (SQLite or PostgreSQL), in the server's database next to the messages.
#include <algorithm>

#include "core/events/bus.hpp"
#include "core/sql/sql.hpp"
#include "mail/store/seen.hpp"

namespace hearth::mail {
namespace {

// Never edit a released migration: add the next one. The foreign key makes an entry go with
// its message row (expunge, MOVE's source) and so with its mailbox; RENAME keeps both keys.
// Entries that went back to unseen stay (seen = 0) so that CONDSTORE can report the change.
constexpr sql::migration migrations[] = {
    {1, "per-user \\Seen on shared mailboxes", R"sql(
CREATE TABLE mail_seen (
  mailbox_id INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  account TEXT NOT NULL,
  seen INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, uid, account),
  FOREIGN KEY (mailbox_id, uid) REFERENCES mail_messages (mailbox_id, uid) ON DELETE CASCADE
);
CREATE INDEX mail_seen_user ON mail_seen (mailbox_id, account, modseq);
)sql"},
    // An entry goes with its reader's account (the directory's table, same database): SQLite
    // cannot add a foreign key to a table, so the table is rebuilt, without the entries of
    // accounts already gone.
    {2, "per-user \\Seen goes with its account", R"sql(
CREATE TABLE mail_seen_v2 (
  mailbox_id INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  account TEXT NOT NULL REFERENCES accounts(address) ON DELETE CASCADE,
  seen INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, uid, account),
  FOREIGN KEY (mailbox_id, uid) REFERENCES mail_messages (mailbox_id, uid) ON DELETE CASCADE
);
INSERT INTO mail_seen_v2 (mailbox_id, uid, account, seen, modseq)
  SELECT mailbox_id, uid, account, seen, modseq FROM mail_seen WHERE account IN (SELECT address FROM accounts);
DROP TABLE mail_seen;
ALTER TABLE mail_seen_v2 RENAME TO mail_seen;
CREATE INDEX mail_seen_user ON mail_seen (mailbox_id, account, modseq);
CREATE INDEX mail_seen_account ON mail_seen (account);
)sql"},
};

// INBOX is case-insensitive and stored as "INBOX" (store.hpp).
constexpr const char* mailbox_sql =
    "SELECT id, name FROM mail_mailboxes WHERE account=?1 AND (name=?2 OR (upper(?2)='INBOX' AND name='INBOX'))";

class sql_seen_store final : public seen_store {
 public:
  sql_seen_store(std::unique_ptr<sql::database> d, events::bus* bus) : db_(std::move(d)), bus_(bus) {}

  result<std::vector<seen_entry>> entries(std::string_view owner, std::string_view mailbox, std::string_view user,
                                          std::uint64_t since, uid_range uids) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto r = (*c)->query(
        "SELECT s.uid, s.seen, s.modseq FROM mail_seen s JOIN mail_mailboxes m ON m.id = s.mailbox_id "
        "WHERE m.account=?1 AND (m.name=?2 OR (upper(?2)='INBOX' AND m.name='INBOX')) AND s.account=?3 "
        "AND s.modseq > ?4 AND s.uid >= ?5 AND s.uid <= ?6 ORDER BY s.uid",
        owner, mailbox, user, static_cast<std::int64_t>(since), static_cast<std::int64_t>(uids.first),
        static_cast<std::int64_t>(uids.last));
    if (!r) return r.error();
    std::vector<seen_entry> out;
    out.reserve(r->size());
    for (int i = 0; i < r->size(); ++i)
      out.push_back({static_cast<std::uint32_t>(r->int64(i, 0)), r->int64(i, 1) != 0,
                     static_cast<std::uint64_t>(r->int64(i, 2))});
    return out;
  }

  result<std::vector<seen_entry>> set(std::string_view owner, std::string_view mailbox, std::string_view user,
                                      const std::vector<std::uint32_t>& uids, bool seen) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto& conn = **c;
    auto t = sql::transaction::begin(conn, sql::durability::normal);
    if (!t) return t.error();
    auto row = conn.query(mailbox_sql, owner, mailbox);
    if (!row) return row.error();
    if (row->empty()) return fail("mail.no_mailbox", "no such mailbox");
    const std::int64_t id = row->int64(0, 0);
    const std::string name = row->text(0, 1);  // canonical, for the event
    std::vector<seen_entry> out;
    if (uids.empty()) return out;
    // The messages in the range and the user's current state of them, in two reads.
    auto present = conn.query(
        "SELECT m.uid, COALESCE(s.seen, 0) FROM mail_messages m LEFT JOIN mail_seen s "
        "ON s.mailbox_id = m.mailbox_id AND s.uid = m.uid AND s.account = ?4 "
        "WHERE m.mailbox_id=?1 AND m.uid >= ?2 AND m.uid <= ?3 ORDER BY m.uid",
        id, static_cast<std::int64_t>(uids.front()), static_cast<std::int64_t>(uids.back()), user);
    if (!present) return present.error();
    for (int i = 0; i < present->size(); ++i) {
      const auto uid = static_cast<std::uint32_t>(present->int64(i, 0));
      if ((present->int64(i, 1) != 0) == seen || !std::binary_search(uids.begin(), uids.end(), uid)) continue;
      out.push_back({uid, seen, 0});
    }
    if (out.empty()) return out;  // nothing changes: no new modseq
    // The mailbox's modseq counter is the store's own (store.hpp), so HIGHESTMODSEQ covers this.
    auto modseq = conn.query_int("UPDATE mail_mailboxes SET highestmodseq = highestmodseq + 1 WHERE id=?1 RETURNING highestmodseq", id);
    if (!modseq) return modseq.error();
    if (!*modseq) return fail("mail.no_mailbox", "no such mailbox");
    for (auto& e : out) {
      e.modseq = static_cast<std::uint64_t>(**modseq);
      auto r = conn.query(
          "INSERT INTO mail_seen (mailbox_id, uid, account, seen, modseq) VALUES (?1, ?2, ?3, ?4, ?5) "
          "ON CONFLICT (mailbox_id, uid, account) DO UPDATE SET seen=excluded.seen, modseq=excluded.modseq",
          id, static_cast<std::int64_t>(e.uid), user, static_cast<std::int64_t>(seen ? 1 : 0), **modseq);
      if (!r) return r.error();
    }
    if (auto cr = t->commit(); !cr) return cr.error();
    if (bus_) bus_->publish({"mail.changed", std::string(owner), name});
    return out;
  }

  result<std::size_t> drop_unreadable(std::string_view owner, std::string_view mailbox) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    // Rights are canonical letters (acl.hpp), so 'r' appears at most once in a grant.
    auto r = (*c)->query(
        "DELETE FROM mail_seen WHERE mailbox_id IN (SELECT id FROM mail_mailboxes WHERE account=?1 AND "
        "(name=?2 OR (upper(?2)='INBOX' AND name='INBOX'))) AND NOT EXISTS (SELECT 1 FROM mail_acl a WHERE "
        "a.mailbox_id = mail_seen.mailbox_id AND a.identifier IN (mail_seen.account, 'anyone') AND a.rights LIKE '%r%')",
        owner, mailbox);
    if (!r) return r.error();
    return static_cast<std::size_t>(r->affected());
  }

  result<std::uint32_t> count_seen(std::string_view owner, std::string_view mailbox, std::string_view user) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto n = (*c)->query_int(
        "SELECT COUNT(*) FROM mail_seen s JOIN mail_mailboxes m ON m.id = s.mailbox_id "
        "WHERE m.account=?1 AND (m.name=?2 OR (upper(?2)='INBOX' AND m.name='INBOX')) AND s.account=?3 AND s.seen=1",
        owner, mailbox, user);
    if (!n) return n.error();
    return static_cast<std::uint32_t>(n->value_or(0));
  }

 private:
  std::unique_ptr<sql::database> db_;
  events::bus* bus_;
};

}  // namespace

result<std::unique_ptr<seen_store>> seen_store::open(const std::string& target, events::bus* bus) {
  auto d = sql::open_migrated(target, "mail_seen", migrations);
  if (!d) return d.error();
  return std::unique_ptr<seen_store>(std::make_unique<sql_seen_store>(std::move(*d), bus));
}

}  // namespace hearth::mail
