// The mail store's schema (component "mail"), open(), and helpers shared by the concern files.
// Never edit a released migration: add the next one.
#include <unistd.h>

#include <chrono>
#include <utility>

#include "directory/address.hpp"
#include "mail/store/sqlite_store.hpp"

namespace hearth::mail {

namespace {

// Accounts are referenced by normalized address (not the directory's account id) so that the
// mail tables need no foreign key into the directory's: a PostgreSQL backend or a separate
// mail database can hold them alone.
constexpr db::migration migrations[] = {
    {1, "mailboxes, messages, expunge log, counters", R"sql(
CREATE TABLE mail_mailboxes(
  id INTEGER PRIMARY KEY,
  account TEXT NOT NULL,
  name TEXT NOT NULL,
  special_use TEXT NOT NULL DEFAULT '',
  subscribed INTEGER NOT NULL DEFAULT 1,
  uidvalidity INTEGER NOT NULL CHECK(uidvalidity > 0),
  uidnext INTEGER NOT NULL DEFAULT 1,
  highestmodseq INTEGER NOT NULL DEFAULT 1,
  UNIQUE(account, name)
);
CREATE TABLE mail_messages(
  id INTEGER PRIMARY KEY,
  mailbox_id INTEGER NOT NULL REFERENCES mail_mailboxes(id) ON DELETE CASCADE,
  account TEXT NOT NULL,
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  flags TEXT NOT NULL DEFAULT '',
  seen INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0,
  internal_date INTEGER NOT NULL,
  size INTEGER NOT NULL,
  blob_id TEXT NOT NULL,
  UNIQUE(mailbox_id, uid)
);
CREATE INDEX mail_messages_blob ON mail_messages(blob_id);
CREATE INDEX mail_messages_account ON mail_messages(account);
CREATE INDEX mail_messages_modseq ON mail_messages(mailbox_id, modseq);
CREATE TABLE mail_expunged(
  mailbox_id INTEGER NOT NULL REFERENCES mail_mailboxes(id) ON DELETE CASCADE,
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  PRIMARY KEY(mailbox_id, uid)
);
CREATE TABLE mail_counters(
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
)sql"},
    // Per-blob data the protocol layers derive from the immutable bytes (IMAP keeps the
    // header section and BODYSTRUCTURE here so that FETCH does not read and re-parse the blob).
    // Existing stores get an empty table; rows are computed on first use.
    {2, "derived data per blob", R"sql(
CREATE TABLE mail_blob_meta(
  blob_id TEXT PRIMARY KEY,
  data BLOB NOT NULL
);
)sql"},
    // SELECT and flag-only SEARCH read uid, modseq and flags of every message; with
    // this covering index SQLite walks the index alone, not the table rows.
    {3, "covering index for SELECT and flag SEARCH", R"sql(
CREATE INDEX mail_messages_view ON mail_messages(mailbox_id, uid, modseq, flags);
)sql"},
    // RFC 9051 §6.3.7: a subscription outlives its mailbox (DELETE, or SUBSCRIBE of a name not
    // created yet). Names with a mailbox keep theirs in mail_mailboxes.subscribed; this table
    // holds only the subscribed names that have none.
    {4, "subscriptions to names without a mailbox", R"sql(
CREATE TABLE mail_absent_subscriptions(
  account TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY(account, name)
);
)sql"},
    // RFC 8514 SAVEDATE: when the message was put in this mailbox (APPEND, COPY, MOVE), which
    // the internal date is not (APPEND may set that to any date, COPY keeps it). Rows stored
    // before this migration have no save date: FETCH SAVEDATE is NIL for them (RFC 8514 §4.2).
    {5, "save date of each message", R"sql(
ALTER TABLE mail_messages ADD COLUMN save_date INTEGER;
)sql"},
    // RFC 3501 §2.3.2 \Recent: messages above recent_uid have not been seen by any IMAP4rev1
    // session that selected the mailbox; the first such session claims them. Messages already
    // stored count as seen, so an upgrade does not make a whole mailbox recent.
    {6, "recent high-water mark per mailbox", R"sql(
ALTER TABLE mail_mailboxes ADD COLUMN recent_uid INTEGER NOT NULL DEFAULT 0;
UPDATE mail_mailboxes SET recent_uid = uidnext - 1;
)sql"},
    // RFC 5464 METADATA: mailbox_id 0 holds the account's server annotations; a mailbox's
    // entries go with it when it is deleted (by the store, since 0 is not a mailbox row).
    {7, "mailbox and server annotations", R"sql(
CREATE TABLE mail_metadata(
  account TEXT NOT NULL,
  mailbox_id INTEGER NOT NULL,
  entry TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY(account, mailbox_id, entry)
);
)sql"},
};

struct default_mailbox {
  std::string_view name, special_use;
};
// RFC 6154 §2 attributes for the folders every client expects.
constexpr default_mailbox defaults[] = {{"INBOX", ""},        {"Sent", "\\Sent"}, {"Drafts", "\\Drafts"},
                                        {"Trash", "\\Trash"}, {"Junk", "\\Junk"}, {"Archive", "\\Archive"}};

}  // namespace

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

result<std::unique_ptr<store>> store::open(const std::filesystem::path& db_file, blob::store& blobs,
                                           directory::directory* dir, events::bus* bus) {
  auto db = db::database::open(db_file);
  if (!db) return db.error();
  auto c = db->try_get();
  if (!c) return c.error();
  auto v = db::migrate(**c, "mail", migrations);
  if (!v) return v.error();
  return std::unique_ptr<store>(std::make_unique<sqlite_store>(std::move(*db), blobs, dir, bus));
}

result<sqlite_store::account_ref> sqlite_store::prepare(std::string_view account) {
  auto n = directory::normalize_address(account);
  if (!n) return fail("mail.invalid", "not a valid address: " + std::string(account.substr(0, 300)));
  account_ref a{std::move(*n), 0};
  if (dir_) {
    auto acc = dir_->find_account(a.address);
    if (!acc) return fail("mail.no_account", "no such account: " + a.address);
    a.quota = acc->quota_bytes > 0 ? static_cast<std::uint64_t>(acc->quota_bytes) : 0;
  }
  auto c = db_.try_get();
  if (!c) return c.error();
  auto& conn = **c;
  // INBOX cannot be deleted, so its presence says the defaults were made.
  if (auto inbox = find_mailbox(conn, a.address, "INBOX"); !inbox)
    return inbox.error();
  else if (*inbox)
    return a;
  auto t = db::transaction::begin(conn, db::durability::full);
  if (!t) return t.error();
  auto again = find_mailbox(conn, a.address, "INBOX");  // another thread/process may have won
  if (!again) return again.error();
  if (*again) return a;
  for (auto& d : defaults) {
    auto exists = find_mailbox(conn, a.address, d.name);
    if (!exists) return exists.error();
    if (*exists) continue;
    auto m = insert_mailbox(conn, a.address, d.name, d.special_use);
    if (!m) return m.error();
  }
  if (auto r = t->commit(); !r) return r.error();
  return a;
}

result<std::optional<mailbox_row>> sqlite_store::find_mailbox(db::connection& c, std::string_view account,
                                                              std::string_view canonical_name) {
  auto st = c.prepare(
      "SELECT id, name, uidvalidity, uidnext, highestmodseq FROM mail_mailboxes WHERE account = ?1 AND name = ?2");
  if (!st) return st.error();
  st->bind_all(account, canonical_name);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<mailbox_row>();
  return std::optional<mailbox_row>(mailbox_row{st->column_int64(0), st->column_text(1),
                                                static_cast<std::uint32_t>(st->column_int64(2)),
                                                static_cast<std::uint32_t>(st->column_int64(3)),
                                                static_cast<std::uint64_t>(st->column_int64(4))});
}

result<mailbox_row> sqlite_store::need_mailbox(db::connection& c, std::string_view account, std::string_view name) {
  auto n = canonical_mailbox_name(name);
  if (!n) return fail("mail.invalid", "invalid mailbox name");
  auto m = find_mailbox(c, account, *n);
  if (!m) return m.error();
  if (!*m) return fail("mail.no_mailbox", "no such mailbox: " + *n);
  return std::move(**m);
}

result<std::uint32_t> sqlite_store::next_uidvalidity(db::connection& c) {
  // Time-based so that a database restored from an old backup still moves forward; the
  // counter makes it strictly increasing, so a recreated name never sees an old value.
  auto st = c.prepare("SELECT value FROM mail_counters WHERE name = 'uidvalidity'");
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  std::int64_t last = *row ? st->column_int64(0) : 0;
  st->reset();
  std::int64_t next = std::max<std::int64_t>(last + 1, unix_now());
  if (next <= 0 || next > static_cast<std::int64_t>(uid_max)) next = last + 1;
  if (next <= 0 || next > static_cast<std::int64_t>(uid_max))
    return fail("mail.invalid", "UIDVALIDITY space exhausted");
  auto up = c.prepare("INSERT INTO mail_counters(name, value) VALUES('uidvalidity', ?1) "
                      "ON CONFLICT(name) DO UPDATE SET value = excluded.value");
  if (!up) return up.error();
  if (auto r = up->bind(1, next).run(); !r) return r.error();
  return static_cast<std::uint32_t>(next);
}

result<mailbox_row> sqlite_store::insert_mailbox(db::connection& c, std::string_view account, std::string_view name,
                                                 std::string_view special_use) {
  auto uv = next_uidvalidity(c);
  if (!uv) return uv.error();
  auto st = c.prepare("INSERT INTO mail_mailboxes(account, name, special_use, uidvalidity) VALUES(?1, ?2, ?3, ?4)");
  if (!st) return st.error();
  if (auto r = st->bind_all(account, name, special_use, *uv).run(); !r) return r.error();
  return mailbox_row{c.last_insert_rowid(), std::string(name), *uv, 1, 1};
}

result<quota_usage> sqlite_store::usage_in(db::connection& c, const account_ref& a) {
  auto st = c.prepare("SELECT COALESCE(SUM(size), 0), COUNT(*) FROM mail_messages WHERE account = ?1");
  if (!st) return st.error();
  st->bind(1, a.address);
  auto row = st->step();
  if (!row) return row.error();
  return quota_usage{static_cast<std::uint64_t>(st->column_int64(0)), a.quota,
                     static_cast<std::uint64_t>(st->column_int64(1))};
}

void sqlite_store::collect_garbage(const std::set<std::string>& ids) {
  if (ids.empty()) return;
  auto c = db_.try_get();
  if (!c) return;  // leaves orphans: wasted space, never lost mail
  // Under the write lock, so no append can commit a row naming one of these blobs between
  // our check and the removal (appends re-check the blob under the same lock).
  auto t = db::transaction::begin(**c);
  if (!t) return;
  remove_unused_blobs(**c, ids);
  (void)t->commit();
}

void sqlite_store::remove_unused_blobs(db::connection& c, const std::set<std::string>& ids) {
  if (ids.empty()) return;
  // The blob store is shared and content-addressed: an HTTP upload (XMPP) byte for byte equal
  // to a message has its blob too, and keeps it. Its rows are in this database when uploads
  // were ever on.
  bool uploads = false;
  if (auto q = c.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'upload_file'")) {
    auto row = q->step();
    uploads = !row || *row;  // on error assume they exist: the query below then keeps the blob
  }
  auto st = c.prepare(uploads ? "SELECT EXISTS(SELECT 1 FROM mail_messages WHERE blob_id = ?1) OR "
                                "EXISTS(SELECT 1 FROM upload_file WHERE blob = ?1)"
                              : "SELECT EXISTS(SELECT 1 FROM mail_messages WHERE blob_id = ?1)");
  if (!st) return;
  for (auto& id : ids) {
    st->bind(1, id);
    auto row = st->step();
    bool used = !row || !*row || st->column_int64(0) != 0;  // on error keep the blob
    st->reset();
    if (!used) {
      // Not blob::store::remove, which fsyncs the folder: an unlink lost in a crash leaves an
      // orphan file (store.hpp), and that fsync, under the write lock, made every writer wait.
      if (auto p = blobs_.path_of(id)) (void)::unlink(p->c_str());
      if (auto del = c.prepare("DELETE FROM mail_blob_meta WHERE blob_id = ?1")) (void)del->bind(1, id).run();
    }
  }
}

void sqlite_store::defer_garbage(const std::set<std::string>& ids) {
  if (ids.empty()) return;
  bool full = false;
  {
    std::lock_guard lock(garbage_mu_);
    garbage_.insert(ids.begin(), ids.end());
    full = garbage_.size() + durable_garbage_.size() >= garbage_batch;
  }
  if (full) flush_garbage();
}

std::set<std::string> sqlite_store::take_garbage() {
  std::lock_guard lock(garbage_mu_);
  return std::exchange(garbage_, {});
}

std::set<std::string> sqlite_store::take_durable_garbage() {
  std::lock_guard lock(garbage_mu_);
  return std::exchange(durable_garbage_, {});
}

void sqlite_store::give_back_garbage(std::set<std::string> pending, std::set<std::string> durable) {
  std::lock_guard lock(garbage_mu_);
  garbage_.merge(pending);
  durable_garbage_.merge(durable);
}

void sqlite_store::flush_garbage() {
  auto ids = take_garbage();
  auto ready = take_durable_garbage();
  if (ids.empty() && ready.empty()) return;
  if (!ids.empty()) {
    auto c = db_.try_get();
    if (!c) return;  // orphans: wasted space, never lost mail
    // A write fsync'd at commit makes every earlier commit of the file durable too (one WAL).
    auto t = db::transaction::begin(**c, db::durability::full);
    if (!t) return;
    auto mark = (*c)->prepare(
        "INSERT INTO mail_counters(name, value) VALUES('garbage_flushes', 1) "
        "ON CONFLICT(name) DO UPDATE SET value = value + 1");
    if (!mark || !mark->run() || !t->commit()) return;
  }
  ready.merge(ids);
  collect_garbage(ready);
}

result<std::vector<std::string>> sqlite_store::blob_ids() {
  auto c = db_.try_get();
  if (!c) return c.error();
  // Through the blob index: one pass over distinct ids, not over the message rows.
  auto st = (*c)->prepare("SELECT DISTINCT blob_id FROM mail_messages ORDER BY blob_id");
  if (!st) return st.error();
  std::vector<std::string> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(st->column_text(0));
  }
  return out;
}

void sqlite_store::publish(std::string_view topic, const std::string& account, const std::string& mailbox) {
  if (bus_) bus_->publish({std::string(topic), account, mailbox});
}

result<quota_usage> sqlite_store::usage(std::string_view account) {
  auto a = prepare(account);
  if (!a) return a.error();
  auto c = db_.try_get();
  if (!c) return c.error();
  return usage_in(**c, *a);
}

result<sqlite_store::write_txn> sqlite_store::begin_write(std::string_view account, db::durability d) {
  auto a = prepare(account);
  if (!a) return a.error();
  auto c = db_.try_get();
  if (!c) return c.error();
  auto t = db::transaction::begin(**c, d);
  if (!t) return t.error();
  return write_txn{std::move(*a), *c, std::move(*t)};
}

}  // namespace hearth::mail

namespace hearth::mail {

// Derived data is a cache: written without fsync (durability::normal); a crash loses at most
// rows that are recomputed on the next read.
result<std::vector<std::optional<std::string>>> sqlite_store::blob_meta(const std::vector<std::string>& blob_ids) {
  std::vector<std::optional<std::string>> out(blob_ids.size());
  if (blob_ids.empty()) return out;
  auto c = db_.try_get();
  if (!c) return c.error();
  auto st = (*c)->prepare("SELECT data FROM mail_blob_meta WHERE blob_id = ?1");
  if (!st) return st.error();
  for (std::size_t i = 0; i < blob_ids.size(); ++i) {
    st->bind(1, blob_ids[i]);
    auto row = st->step();
    if (!row) return row.error();
    if (*row) {
      auto b = st->column_blob(0);
      out[i] = std::string(b.begin(), b.end());
    }
    st->reset();
  }
  return out;
}

result<void> sqlite_store::put_blob_meta(std::string_view blob_id, std::string_view data) {
  auto c = db_.try_get();
  if (!c) return c.error();
  // Only for a blob some message still names (an expunge may have collected it meanwhile).
  auto st = (*c)->prepare(
      "INSERT OR REPLACE INTO mail_blob_meta(blob_id, data) SELECT ?1, ?2 "
      "WHERE EXISTS(SELECT 1 FROM mail_messages WHERE blob_id = ?1)");
  if (!st) return st.error();
  auto bytes = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
  st->bind(1, blob_id).bind(2, bytes);
  return st->run();
}

}  // namespace hearth::mail
