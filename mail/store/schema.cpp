// The mail store's schema (component "mail"), open(), and helpers shared by the concern files.
// Never edit a released migration: add the next one.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <utility>

#include "core/blob/sql_rows.hpp"
#include "core/sql/pipeline.hpp"
#include "core/sql/scope.hpp"
#include "core/sql/write_guard.hpp"
#include "directory/address.hpp"
#include "mail/store/snapshot.hpp"
#include "mail/store/sql_store.hpp"

namespace hearth::mail {

namespace {

// Accounts are referenced by normalized address (not the directory's account id) so that the
// mail tables need no foreign key into the directory's: a PostgreSQL backend or a separate
// mail database can hold them alone.
constexpr sql::migration migrations[] = {
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
    // Every IMAP command asks what was expunged since the session's HIGHESTMODSEQ (the
    // untagged EXPUNGE/VANISHED it owes). The key (mailbox_id, uid) made that a walk over the
    // mailbox's whole expunge log, which only grows, each row fetched from the table to read
    // its modseq: a third of the server's CPU under bench_imap --state. This index answers it
    // from the new rows alone, without touching the table.
    {8, "expunge log by modseq", R"sql(
CREATE INDEX mail_expunged_modseq ON mail_expunged(mailbox_id, modseq, uid);
)sql"},
    // STATUS and LIST read a mailbox's counts on almost every IMAP command of a client that
    // tracks several folders. Counting the messages each time read every message row of every
    // mailbox for LIST; kept here, they are one row per mailbox. Every write to a mailbox's
    // messages changes them in the UPDATE of its mailbox row that it makes anyway (count_delta).
    {9, "message counts per mailbox", R"sql(
ALTER TABLE mail_mailboxes ADD COLUMN msg_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mail_mailboxes ADD COLUMN unseen_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mail_mailboxes ADD COLUMN deleted_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mail_mailboxes ADD COLUMN bytes_total INTEGER NOT NULL DEFAULT 0;
UPDATE mail_mailboxes SET
  msg_count = (SELECT COUNT(*) FROM mail_messages m WHERE m.mailbox_id = mail_mailboxes.id),
  unseen_count = (SELECT COUNT(*) FROM mail_messages m WHERE m.mailbox_id = mail_mailboxes.id AND m.seen = 0),
  deleted_count = (SELECT COUNT(*) FROM mail_messages m WHERE m.mailbox_id = mail_mailboxes.id AND m.deleted <> 0),
  bytes_total = (SELECT COALESCE(SUM(m.size), 0) FROM mail_messages m WHERE m.mailbox_id = mail_mailboxes.id);
)sql"},
};

// PostgreSQL's steps where SQLite's would not do. 3: a btree entry holding `flags` (up to
// max_flags keywords of max_keyword_bytes) can pass PostgreSQL's ~2.7 kB index-row limit and
// refuse the message; there the view reads the heap rows in (mailbox_id, uid) order instead.
constexpr sql::migration postgres_steps[] = {
    {3, "index for SELECT and flag SEARCH", "CREATE INDEX mail_messages_view ON mail_messages(mailbox_id, uid, modseq)"},
};

const auto postgres_migrations = [] {
  std::array<sql::migration, std::size(migrations)> out;
  std::copy(std::begin(migrations), std::end(migrations), out.begin());
  for (const auto& s : postgres_steps)
    for (auto& m : out)
      if (m.version == s.version) m = s;
  return out;
}();

struct default_mailbox {
  std::string_view name, special_use;
};
// RFC 6154 §2 attributes for the folders every client expects.
constexpr default_mailbox defaults[] = {{"INBOX", ""},        {"Sent", "\\Sent"}, {"Drafts", "\\Drafts"},
                                        {"Trash", "\\Trash"}, {"Junk", "\\Junk"}, {"Archive", "\\Archive"}};

}  // namespace

std::span<const sql::migration> store_migrations(sql::engine e) {
  if (e == sql::engine::postgres) return postgres_migrations;
  return migrations;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

result<std::unique_ptr<store>> store::open(const std::string& target, blob::store& blobs, directory::directory* dir,
                                           events::bus* bus) {
  auto e = sql::is_postgres_target(target) ? sql::engine::postgres : sql::engine::sqlite;
  auto db = sql::open_migrated(target, "mail", store_migrations(e));
  if (!db) return db.error();
  // Small messages are written into the blob table in the message's own transaction (append),
  // so it must be in this database whether or not the blob store has opened it yet.
  if (auto m = sql::migrate((*db)->get(), blob::sql_rows::component, blob::sql_rows::migrations()); !m)
    return m.error();
  return std::unique_ptr<store>(std::make_unique<sql_store>(std::move(*db), blobs, dir, bus));
}

read_scope::read_scope(store& s) {
  auto* sql = dynamic_cast<sql_store*>(&s);
  if (!sql) return;
  if (auto c = sql->db_->try_get(); c) snapshot_.emplace(**c);
}

result<sql_store::account_ref> sql_store::prepare(std::string_view account, bool fresh) {
  const auto now = std::chrono::steady_clock::now();
  // A caller that found the account in the directory just now (SMTP delivery) vouches for it
  // where this call would ask again (known_account.hpp).
  const auto* known = fresh ? known_account_scope::find(account) : nullptr;
  bool has_defaults = false;  // prepared before: only the directory's answer may have changed
  {
    std::lock_guard lock(accounts_mu_);
    if (auto it = known_accounts_.find(account); it != known_accounts_.end()) {
      if (!fresh && now - it->second.checked < account_ttl) return it->second.ref;
      if (known) return account_ref{it->second.ref.address, known->quota()};
      has_defaults = true;
    }
  }
  auto a = prepare_uncached(account, has_defaults, known);
  if (!a) return a.error();
  std::lock_guard lock(accounts_mu_);
  if (known_accounts_.size() >= max_known_accounts) known_accounts_.clear();
  // A caller's answer says the default mailboxes exist, but is not the store's own: the next
  // call without one asks the directory (an answer already expired).
  known_accounts_.insert_or_assign(std::string(account), known_account{*a, known ? now - account_ttl : now});
  return a;
}

result<sql_store::account_ref> sql_store::prepare_uncached(std::string_view account, bool has_defaults,
                                                           const known_account_scope* known) {
  auto n = directory::normalize_address(account);
  if (!n) return fail("mail.invalid", "not a valid address: " + std::string(account.substr(0, 300)));
  account_ref a{std::move(*n), 0};
  if (known) {
    a.quota = known->quota();
  } else if (dir_) {
    auto acc = dir_->find_account(a.address);
    if (!acc) return fail("mail.no_account", "no such account: " + a.address);
    a.quota = acc->quota_bytes > 0 ? static_cast<std::uint64_t>(acc->quota_bytes) : 0;
  }
  if (has_defaults) return a;
  auto c = db_->try_get();
  if (!c) return c.error();
  auto& conn = **c;
  // INBOX cannot be deleted, so its presence says the defaults were made.
  if (auto inbox = find_mailbox(conn, a.address, "INBOX"); !inbox)
    return inbox.error();
  else if (*inbox)
    return a;
  const sql::scope_lock locks[] = {{account_key(a.address), false}};
  auto t = sql::begin_scoped(conn, sql::durability::full, locks);
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

result<sql_store::reader> sql_store::begin_read(std::string_view account, bool fresh) {
  auto a = prepare(account, fresh);
  if (!a) return a.error();
  auto c = db_->try_get();
  if (!c) return c.error();
  // The command's refresh, sent with this read's statement (refresh_scope.hpp).
  if (auto* e = expected_; e && e->store == this && !e->got && !e->riding && !e->answered &&
                                 !(*c)->in_transaction()) {
    e->riding = sql::ride(**c, {changes_sql(), {sql::to_value(e->account), sql::to_value(e->mailbox),
                                                sql::to_value(e->since)}});
  }
  return reader{std::move(*a), *c};
}

std::int64_t sql_store::account_key(std::string_view address) { return sql::scope_key("mail account", address); }

std::int64_t sql_store::mailbox_key(std::string_view address, std::string_view mailbox) {
  // By name: RENAME and DELETE take the account's key exclusively, so a name means one mailbox
  // for as long as a mailbox writer holds it. An invalid name keys as given (the write fails).
  auto n = canonical_mailbox_name(mailbox);
  std::string name(address);
  name += '\0';
  name += n ? *n : std::string(mailbox);
  return sql::scope_key("mail mailbox", name);
}

std::int64_t sql_store::quota_key(std::string_view address) { return sql::scope_key("mail quota", address); }

std::int64_t sql_store::blob_key(std::string_view blob_id) { return sql::scope_key("blob", blob_id); }

result<sql_store::write_txn> sql_store::begin_write(std::string_view account, const write_scope& scope,
                                                    sql::durability d, bool fresh) {
  auto r = begin_read(account, fresh);
  if (!r) return r.error();
  const auto& a = r->account.address;
  // What the command's refresh read before this write is stale once it commits; commit_write
  // reads it again when the write is to that mailbox, and any other write leaves it to the
  // refresh's own read (refresh_scope.hpp).
  if (auto* e = expected_; e && e->store == this) {
    e->got.reset();
    if (e->riding) (void)sql::take_ride(*r->conn);
    e->riding = false;
  }
  sql::scope_lock locks[5];
  std::size_t n = 0;
  const bool whole = scope.mailbox.empty() && scope.mailbox2.empty();
  locks[n++] = {account_key(a), !whole};
  for (auto m : {scope.mailbox, scope.mailbox2})
    if (!m.empty()) locks[n++] = {mailbox_key(a, m), false};
  if (scope.adds && r->account.quota) locks[n++] = {quota_key(a), false};
  if (!scope.blob.empty()) locks[n++] = {blob_key(scope.blob), false};
  auto t = sql::begin_scoped(*r->conn, d, std::span<const sql::scope_lock>(locks, n));
  if (!t) return t.error();
  return write_txn{std::move(r->account), r->conn, std::move(*t), d};
}

result<std::optional<mailbox_row>> sql_store::find_mailbox(sql::connection& c, std::string_view account,
                                                           std::string_view canonical_name) {
  auto r = c.query(find_mailbox_sql, account, canonical_name);
  if (!r) return r.error();
  if (r->empty()) return std::optional<mailbox_row>();
  return std::optional<mailbox_row>(mailbox_from(*r));
}

mailbox_row sql_store::mailbox_from(const sql::rows& r) {
  return mailbox_row{r.int64(0, 0), r.text(0, 1), static_cast<std::uint32_t>(r.int64(0, 2)),
                     static_cast<std::uint32_t>(r.int64(0, 3)), static_cast<std::uint64_t>(r.int64(0, 4))};
}

result<mailbox_row> sql_store::need_mailbox(sql::connection& c, std::string_view account, std::string_view name) {
  auto n = canonical_mailbox_name(name);
  if (!n) return fail("mail.invalid", "invalid mailbox name");
  auto m = find_mailbox(c, account, *n);
  if (!m) return m.error();
  if (!*m) return fail("mail.no_mailbox", "no such mailbox: " + *n);
  return std::move(**m);
}

result<std::uint32_t> sql_store::next_uidvalidity(sql::connection& c) {
  // Time-based so that a database restored from an old backup still moves forward; the
  // counter makes it strictly increasing, so a recreated name never sees an old value. One
  // statement reads and raises it: the counter is shared by every account, whose writers run
  // side by side on PostgreSQL, and the upsert's row lock orders them (the second one sees the
  // first one's value).
  std::int64_t now = unix_now();
  if (now <= 0 || now > static_cast<std::int64_t>(uid_max)) now = 1;
  auto next = c.query_int("INSERT INTO mail_counters(name, value) VALUES('uidvalidity', ?1) "
                          "ON CONFLICT(name) DO UPDATE SET value = CASE WHEN excluded.value > mail_counters.value "
                          "THEN excluded.value ELSE mail_counters.value + 1 END RETURNING value",
                          now);
  if (!next) return next.error();
  const std::int64_t v = next->value_or(0);
  // The transaction rolls back: the counter is not raised past the space.
  if (v <= 0 || v > static_cast<std::int64_t>(uid_max)) return fail("mail.invalid", "UIDVALIDITY space exhausted");
  return static_cast<std::uint32_t>(v);
}

result<mailbox_row> sql_store::insert_mailbox(sql::connection& c, std::string_view account, std::string_view name,
                                              std::string_view special_use) {
  auto uv = next_uidvalidity(c);
  if (!uv) return uv.error();
  auto id = c.query_int(
      "INSERT INTO mail_mailboxes(account, name, special_use, uidvalidity) VALUES(?1, ?2, ?3, ?4) RETURNING id", account,
      name, special_use, *uv);
  if (!id) return id.error();
  return mailbox_row{id->value_or(0), std::string(name), *uv, 1, 1};
}

void sql_store::count_delta::add(const message_info& m, int sign) {
  messages += sign;
  unseen += has_flag(m.flags, "\\Seen") ? 0 : sign;
  deleted += has_flag(m.flags, "\\Deleted") ? sign : 0;
  bytes += sign * static_cast<std::int64_t>(m.size);
}

result<quota_usage> sql_store::usage_in(sql::connection& c, const account_ref& a) {
  auto r = c.query("SELECT COALESCE(SUM(size), 0), COUNT(*) FROM mail_messages WHERE account = ?1", a.address);
  if (!r) return r.error();
  return quota_usage{static_cast<std::uint64_t>(r->int64(0, 0)), a.quota, static_cast<std::uint64_t>(r->int64(0, 1))};
}

void sql_store::collect_garbage(const std::set<std::string>& ids) {
  if (ids.empty()) return;
  auto c = db_->try_get();
  if (!c) return;  // leaves orphans: wasted space, never lost mail
  // Under the write lock, exclusive (unscoped): no append can commit a row naming one of these
  // blobs between our check and the removal (appends re-check the blob under the same lock).
  auto t = sql::transaction::begin(**c);
  if (!t) return;
  remove_unused_blobs(**c, ids);
  (void)t->commit();
}

std::set<std::string> sql_store::remove_unused_blobs(sql::connection& c, const std::set<std::string>& ids) {
  if (ids.empty()) return {};
  auto checks = blob_checks(c, ids);
  auto answers = sql::query_all(c, checks);
  if (!answers) return {};  // the transaction is failed: nothing more runs in it
  return remove_checked(c, ids, *answers);
}

std::vector<sql::statement> sql_store::blob_checks(sql::connection& c, const std::set<std::string>& ids) {
  std::vector<sql::statement> out;
  if (ids.empty()) return out;
  // The blob store is shared and content-addressed: an HTTP upload (XMPP) byte for byte equal
  // to a message has its blob too, and keeps it. Its rows are in this database when uploads
  // were ever on. A table once seen stays (no migration drops it), so only its absence is
  // asked again: on PostgreSQL each asking is a round trip of the append that collects.
  bool uploads = upload_table_seen_.load(std::memory_order_relaxed);
  if (!uploads) {
    auto has_uploads = c.query(c.kind() == sql::engine::postgres
                                   ? "SELECT 1 WHERE to_regclass('upload_file') IS NOT NULL"
                                   : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'upload_file'");
    // On error assume they exist: the query below then keeps the blob.
    uploads = !has_uploads || !has_uploads->empty();
    if (has_uploads && uploads) upload_table_seen_.store(true, std::memory_order_relaxed);
  }
  const std::string_view used_sql = uploads ? "SELECT EXISTS(SELECT 1 FROM mail_messages WHERE blob_id = ?1) OR "
                                              "EXISTS(SELECT 1 FROM upload_file WHERE blob = ?1)"
                                            : "SELECT EXISTS(SELECT 1 FROM mail_messages WHERE blob_id = ?1)";
  out.reserve(2 * ids.size());
  for (auto& id : ids) {
    // An append of the same content in another account holds the blob's key until its row
    // commits (begin_write); without the key our "unused" could be read just before that row
    // commits and remove the blob it names. With it, the query after it (a later statement,
    // so a snapshot after the holder's commit) sees every row an append committed.
    if (auto lock = sql::try_lock_statement(c, blob_key(id))) out.push_back(std::move(*lock));
    out.push_back({used_sql, {sql::to_value(id)}});
  }
  return out;
}

std::set<std::string> sql_store::remove_checked(sql::connection& c, const std::set<std::string>& ids,
                                                std::span<const sql::rows> checks) {
  std::set<std::string> busy;
  if (ids.empty()) return busy;
  // One statement per id, or two when each needs its key taken first (blob_checks).
  const std::size_t per_id = checks.size() == 2 * ids.size() ? 2 : 1;
  if (checks.size() != per_id * ids.size()) return busy;  // keep them all
  std::size_t at = 0;
  for (auto& id : ids) {
    if (per_id == 2 && checks[at++].int64(0, 0) == 0) {
      busy.insert(id);
      ++at;
      continue;
    }
    const auto& used = checks[at++];
    if (used.empty() || used.is_null(0, 0) || used.int64(0, 0) != 0) continue;
    // Not blob::store::remove, which fsyncs the folder: an unlink lost in a crash leaves an
    // orphan file (store.hpp), and that fsync, under the write lock, made every writer wait.
    if (auto p = blobs_.path_of(id)) (void)::unlink(p->c_str());
    // A blob kept in the database (core/blob/sql_rows.cpp's table) goes in this transaction,
    // under the same lock. Queued (on PostgreSQL they travel with the next statement or
    // COMMIT): nothing here reads their outcome, and on PostgreSQL a failure fails the
    // transaction whether it is read or not.
    (void)sql::queue(c, "DELETE FROM blob_parts WHERE id = ?1", id);
    (void)sql::queue(c, "DELETE FROM mail_blob_meta WHERE blob_id = ?1", id);
  }
  return busy;
}

void sql_store::defer_garbage(const std::set<std::string>& ids) {
  if (ids.empty()) return;
  bool full = false;
  {
    std::lock_guard lock(garbage_mu_);
    garbage_.insert(ids.begin(), ids.end());
    // On an I/O thread (an inline EXPUNGE, mail/imap/server/inline.hpp) the batch's fsync'd
    // commit and file removals would stall every session of that thread: the blobs wait for
    // the next append or a flush off that thread, up to inline_garbage_limit of them.
    const auto limit = sql::inside_no_write_scope() ? inline_garbage_limit : garbage_batch;
    full = garbage_.size() + durable_garbage_.size() >= limit;
  }
  if (full) flush_garbage();
}

std::set<std::string> sql_store::take_garbage() {
  std::lock_guard lock(garbage_mu_);
  return std::exchange(garbage_, {});
}

std::set<std::string> sql_store::take_durable_garbage() {
  std::lock_guard lock(garbage_mu_);
  return std::exchange(durable_garbage_, {});
}

void sql_store::give_back_garbage(std::set<std::string> pending, std::set<std::string> durable) {
  std::lock_guard lock(garbage_mu_);
  garbage_.merge(pending);
  durable_garbage_.merge(durable);
}

void sql_store::flush_garbage() {
  auto ids = take_garbage();
  auto ready = take_durable_garbage();
  if (ids.empty() && ready.empty()) return;
  if (!ids.empty()) {
    auto c = db_->try_get();
    if (!c) return;  // orphans: wasted space, never lost mail
    // A write fsync'd at commit makes every earlier commit durable too (SQLite: one WAL;
    // PostgreSQL: one WAL flushed in order).
    auto t = sql::transaction::begin(**c, sql::durability::full);
    if (!t) return;
    auto mark = (*c)->query(
        "INSERT INTO mail_counters(name, value) VALUES('garbage_flushes', 1) "
        "ON CONFLICT(name) DO UPDATE SET value = mail_counters.value + 1");
    if (!mark || !t->commit()) return;
  }
  ready.merge(ids);
  collect_garbage(ready);
}

result<std::vector<std::string>> sql_store::blob_ids() {
  auto c = db_->try_get();
  if (!c) return c.error();
  // Through the blob index: one pass over distinct ids, not over the message rows.
  auto r = (*c)->query("SELECT DISTINCT blob_id FROM mail_messages ORDER BY blob_id");
  if (!r) return r.error();
  std::vector<std::string> out;
  out.reserve(r->size());
  for (int i = 0; i < r->size(); ++i) out.push_back(r->text(i, 0));
  return out;
}

void sql_store::publish(std::string_view topic, const std::string& account, const std::string& mailbox) {
  if (bus_) bus_->publish({std::string(topic), account, mailbox});
}

result<quota_usage> sql_store::usage(std::string_view account) {
  auto r = begin_read(account);
  if (!r) return r.error();
  return usage_in(*r->conn, r->account);
}

// Derived data is a cache: written without fsync (durability::normal); a crash loses at most
// rows that are recomputed on the next read.
result<std::vector<std::optional<std::string>>> sql_store::blob_meta(const std::vector<std::string>& blob_ids) {
  std::vector<std::optional<std::string>> out(blob_ids.size());
  if (blob_ids.empty()) return out;
  auto c = db_->try_get();
  if (!c) return c.error();
  for (std::size_t i = 0; i < blob_ids.size(); ++i) {
    auto r = (*c)->query("SELECT data FROM mail_blob_meta WHERE blob_id = ?1", blob_ids[i]);
    if (!r) return r.error();
    if (!r->empty()) out[i] = r->text(0, 0);
  }
  return out;
}

result<void> sql_store::put_blob_meta(std::string_view blob_id, std::string_view data) {
  auto c = db_->try_get();
  if (!c) return c.error();
  // Only for a blob some message still names (an expunge may have collected it meanwhile).
  // The check and the write need no transaction: ids are content hashes, so a row that
  // outlives its blob still describes the same bytes if they come back.
  auto named = (*c)->query_int("SELECT EXISTS(SELECT 1 FROM mail_messages WHERE blob_id = ?1)", blob_id);
  if (!named) return named.error();
  if (named->value_or(0) == 0) return {};
  auto r = (*c)->query(upsert_blob_meta, blob_id, meta_bytes(data));
  if (!r) return r.error();
  return {};
}

}  // namespace hearth::mail
