// Mailbox operations: list, status, create, rename, delete, subscribe, annotations.
#include <algorithm>

#include "core/sql/pipeline.hpp"
#include "core/sql/scope.hpp"
#include "mail/store/sql_store.hpp"

namespace hearth::mail {

namespace {

// The counts are kept in the mailbox row (schema.cpp migration 9), so LIST reads one row per
// mailbox. \Recent is counted from the uid index: the messages above the mailbox's recent mark.
// Only STATUS counts it (one mailbox): LIST, whose STATUS items almost never ask for RECENT,
// would pay that index search for every mailbox of the account (store.hpp list()).
constexpr std::string_view mailbox_columns = R"sql(
SELECT b.name, b.special_use, b.subscribed, b.uidvalidity, b.uidnext, b.highestmodseq,
       b.msg_count, b.unseen_count, b.deleted_count, b.bytes_total)sql";
constexpr std::string_view recent_column =
    ", (SELECT COUNT(*) FROM mail_messages m WHERE m.mailbox_id = b.id AND m.uid > b.recent_uid)";
constexpr std::string_view mailbox_from = " FROM mail_mailboxes b WHERE b.account = ?1";

// INBOX first, then by name. INBOX is moved to the front here, after an ORDER BY of the name
// alone, which SQLite reads in its (account, name) index's order: an ORDER BY on an expression
// costs it a temporary b-tree on every LIST and STATUS.
result<std::vector<mailbox_info>> query_infos(sql::connection& c, const std::string& account,
                                              const std::optional<std::string>& name) {
  static const std::string all = std::string(mailbox_columns) + std::string(mailbox_from) + " ORDER BY b.name";
  static const std::string one =
      std::string(mailbox_columns) + std::string(recent_column) + std::string(mailbox_from) + " AND b.name = ?2";
  auto r = name ? c.query(one, account, *name) : c.query(all, account);
  if (!r) return r.error();
  std::vector<mailbox_info> out(r->size());
  for (int i = 0; i < r->size(); ++i) {
    auto& x = out[i];
    x.name = r->text(i, 0);
    x.special_use = r->text(i, 1);
    x.subscribed = r->int64(i, 2) != 0;
    x.uidvalidity = static_cast<std::uint32_t>(r->int64(i, 3));
    x.uidnext = static_cast<std::uint32_t>(r->int64(i, 4));
    x.highestmodseq = static_cast<std::uint64_t>(r->int64(i, 5));
    x.messages = static_cast<std::uint32_t>(r->int64(i, 6));
    x.unseen = static_cast<std::uint32_t>(r->int64(i, 7));
    x.deleted = static_cast<std::uint32_t>(r->int64(i, 8));
    x.bytes = static_cast<std::uint64_t>(r->int64(i, 9));
    if (name) x.recent = static_cast<std::uint32_t>(r->int64(i, 10));
  }
  std::stable_partition(out.begin(), out.end(), [](const mailbox_info& x) { return x.name == "INBOX"; });
  return out;
}

// A subscription kept for an absent name applies again once a mailbox has that name.
result<void> adopt_subscriptions(sql::connection& c, const std::string& account) {
  if (auto r = c.query("UPDATE mail_mailboxes SET subscribed = 1 WHERE account = ?1 AND name IN "
                       "(SELECT name FROM mail_absent_subscriptions WHERE account = ?1)",
                       account);
      !r)
    return r.error();
  if (auto r = c.query("DELETE FROM mail_absent_subscriptions WHERE account = ?1 AND name IN "
                       "(SELECT name FROM mail_mailboxes WHERE account = ?1)",
                       account);
      !r)
    return r.error();
  return {};
}

bool valid_special_use(std::string_view s) {
  for (auto v : {"", "\\Sent", "\\Drafts", "\\Trash", "\\Junk", "\\Archive", "\\All", "\\Flagged"})
    if (s == v) return true;
  return false;
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

result<std::vector<mailbox_info>> sql_store::list(std::string_view account) {
  auto r = begin_read(account);
  if (!r) return r.error();
  return query_infos(*r->conn, r->account.address, std::nullopt);
}

result<mailbox_info> sql_store::status(std::string_view account, std::string_view mailbox) {
  auto r = begin_read(account);
  if (!r) return r.error();
  auto n = canonical_mailbox_name(mailbox);
  if (!n) return fail("mail.invalid", "invalid mailbox name");
  auto infos = query_infos(*r->conn, r->account.address, *n);
  if (!infos) return infos.error();
  if (infos->empty()) return fail("mail.no_mailbox", "no such mailbox: " + *n);
  return std::move(infos->front());
}

result<std::uint32_t> sql_store::claim_recent(std::string_view account, std::string_view mailbox,
                                              std::uint32_t upto) {
  auto rd = begin_read(account);
  if (!rd) return rd.error();
  auto& conn = *rd->conn;
  // The mailbox's id and its recent mark, read on `conn` inside a transaction or not.
  struct marked {
    std::int64_t id;
    std::uint32_t mark;
  };
  auto name = canonical_mailbox_name(mailbox);
  if (!name) return fail("mail.invalid", "invalid mailbox name");
  auto read_mark = [&]() -> result<marked> {
    auto q = conn.query("SELECT id, recent_uid FROM mail_mailboxes WHERE account = ?1 AND name = ?2",
                        rd->account.address, *name);
    if (!q) return q.error();
    if (q->empty()) return fail("mail.no_mailbox", "no such mailbox: " + *name);
    return marked{q->int64(0, 0), static_cast<std::uint32_t>(q->int64(0, 1))};
  };
  // On PostgreSQL, one statement: the mark, read, and moved up to `upto` if it is still that
  // value (compare and set: the row's lock orders the claims, and a claim that lost to
  // another reads the mark again). Only this method writes recent_uid, and every other write
  // to the mailbox row sets other columns only, so a claim needs no scope lock. Most calls
  // find nothing to claim and write nothing. The mark is a hint, not mail: after a crash a
  // message may be recent once more, which RFC 3501 allows, so a claim need not wait for the
  // server's WAL flush (set_config(..., true) lasts until the statement's own commit).
  if (conn.kind() == sql::engine::postgres) {
    for (int attempt = 0; attempt < 8; ++attempt) {
      auto q = conn.query(
          "WITH o AS (SELECT id, recent_uid FROM mail_mailboxes WHERE account = ?1 AND name = ?2), "
          "u AS (UPDATE mail_mailboxes SET recent_uid = ?3 WHERE id = (SELECT id FROM o) "
          "AND recent_uid = (SELECT recent_uid FROM o) AND recent_uid < ?3 RETURNING 1) "
          "SELECT o.recent_uid, (SELECT COUNT(*) FROM u), set_config('synchronous_commit', 'off', true) FROM o",
          rd->account.address, *name, upto);
      if (!q) return q.error();
      if (q->empty()) return fail("mail.no_mailbox", "no such mailbox: " + *name);
      const auto mark = static_cast<std::uint32_t>(q->int64(0, 0));
      if (mark >= upto || q->int64(0, 1) == 1) return mark;
    }
    // Each lost race is another session's claim of newer messages, so losing eight in a row
    // takes a flood of them: the caller may try again.
    return fail("db.busy", "the \\Recent mark of " + *name + " keeps moving");
  }
  // Most calls find nothing to claim (every SELECT and every new-mail refresh asks): answer
  // those from a plain read, so they do not queue for the write lock behind an APPEND's
  // fsync. A mark at or above `upto` never goes down, so the answer stays true.
  auto seen = read_mark();
  if (!seen) return seen.error();
  if (seen->mark >= upto) return seen->mark;
  // The mark is a hint, not mail: after a crash a message may be recent once more, which
  // RFC 3501 allows, so this write need not wait for fsync.
  const sql::scope_lock locks[] = {{account_key(rd->account.address), true},
                                   {mailbox_key(rd->account.address, *name), false}};
  auto t = sql::begin_scoped(conn, sql::durability::normal, locks);
  if (!t) return t.error();
  auto cur = read_mark();
  if (!cur) return cur.error();
  const auto before = cur->mark;
  // Queued: on PostgreSQL it travels with COMMIT.
  if (upto > before)
    if (auto r = sql::queue(conn, "UPDATE mail_mailboxes SET recent_uid = ?2 WHERE id = ?1", cur->id, upto); !r)
      return r.error();
  if (auto r = t->commit(); !r) return r.error();
  return before;
}

result<std::vector<std::pair<std::string, std::string>>> sql_store::metadata(std::string_view account,
                                                                           std::string_view mailbox) {
  auto rd = begin_read(account);
  if (!rd) return rd.error();
  std::int64_t id = 0;
  if (!mailbox.empty()) {
    auto m = need_mailbox(*rd->conn, rd->account.address, mailbox);
    if (!m) return m.error();
    id = m->id;
  }
  auto r = rd->conn->query("SELECT entry, value FROM mail_metadata WHERE account = ?1 AND mailbox_id = ?2 ORDER BY entry",
                           rd->account.address, id);
  if (!r) return r.error();
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(r->size());
  for (int i = 0; i < r->size(); ++i) out.emplace_back(r->text(i, 0), r->text(i, 1));
  return out;
}

result<void> sql_store::set_metadata(std::string_view account, std::string_view mailbox,
                                     const std::vector<std::pair<std::string, std::optional<std::string>>>& values) {
  auto w = begin_write(account, {.mailbox = mailbox});  // "": the account's annotations
  if (!w) return w.error();
  auto& conn = *w->conn;
  const auto& owner = w->account.address;
  std::int64_t id = 0;
  std::string name;  // "" for the server's annotations
  if (!mailbox.empty()) {
    auto m = need_mailbox(conn, owner, mailbox);
    if (!m) return m.error();
    id = m->id;
    name = m->name;
  }
  for (const auto& [entry, value] : values) {
    // The column is a BLOB (RFC 5464 values are binary): bound as bytes, which PostgreSQL's
    // bytea needs; SQLite rows written as text earlier read back the same.
    auto r = value ? conn.query("INSERT INTO mail_metadata(account, mailbox_id, entry, value) VALUES(?1, ?2, ?3, ?4) "
                                "ON CONFLICT(account, mailbox_id, entry) DO UPDATE SET value = excluded.value",
                                owner, id, entry, as_bytes(*value))
                   : conn.query("DELETE FROM mail_metadata WHERE account = ?1 AND mailbox_id = ?2 AND entry = ?3", owner,
                                id, entry);
    if (!r) return r.error();
  }
  auto n = conn.query_int("SELECT COUNT(*) FROM mail_metadata WHERE account = ?1 AND mailbox_id = ?2", owner, id);
  if (!n) return n.error();
  if (static_cast<std::size_t>(n->value_or(0)) > max_metadata_entries)
    return fail("mail.metadata_toomany", "too many annotations");  // the transaction rolls back
  if (auto r = w->tx.commit(); !r) return r.error();
  publish("mail.changed", owner, name);
  return {};
}

result<mailbox_info> sql_store::create(std::string_view account, std::string_view name,
                                       std::string_view special_use) {
  auto n = canonical_mailbox_name(name);
  if (!n) return fail("mail.invalid", "invalid mailbox name");
  // RFC 6154 §5.3: an unknown special-use attribute makes CREATE fail.
  if (!valid_special_use(special_use)) return fail("mail.invalid", "unknown special-use attribute");
  auto w = begin_write(account, {});
  if (!w) return w.error();
  auto& conn = *w->conn;
  const auto& owner = w->account.address;
  // RFC 9051 §6.3.4: CREATE of an existing name is NO.
  auto existing = find_mailbox(conn, owner, *n);
  if (!existing) return existing.error();
  if (*existing) return fail("mail.exists", "mailbox exists: " + *n);
  auto m = insert_mailbox(conn, owner, *n, special_use);
  if (!m) return m.error();
  if (auto r = adopt_subscriptions(conn, owner); !r) return r.error();
  if (auto r = w->tx.commit(); !r) return r.error();
  publish("mail.changed", owner, m->name);
  mailbox_info info;
  info.name = m->name;
  info.special_use = std::string(special_use);
  info.uidvalidity = m->uidvalidity;
  return info;
}

result<void> sql_store::rename(std::string_view account, std::string_view from, std::string_view to) {
  auto f = canonical_mailbox_name(from);
  auto n = canonical_mailbox_name(to);
  if (!f || !n) return fail("mail.invalid", "invalid mailbox name");
  if (*n == "INBOX") return fail("mail.forbidden", "cannot rename onto INBOX");
  if (*n == *f) return fail("mail.exists", "mailbox exists: " + *n);
  if (n->starts_with(*f + "/")) return fail("mail.invalid", "cannot rename a mailbox into itself");
  auto w = begin_write(account, {});
  if (!w) return w.error();
  auto& conn = *w->conn;
  const auto& owner = w->account.address;
  auto src = need_mailbox(conn, owner, *f);
  if (!src) return src.error();
  if (auto dst = find_mailbox(conn, owner, *n); !dst)
    return dst.error();
  else if (*dst)
    return fail("mail.exists", "mailbox exists: " + *n);

  if (*f == "INBOX") {
    // RFC 9051 §6.3.6: renaming INBOX moves its messages to a new mailbox and leaves INBOX
    // (empty) in place; INBOX's inferiors are not renamed.
    auto target = insert_mailbox(conn, owner, *n, "");
    if (!target) return target.error();
    auto rows = select_messages(conn, src->id, {{1, uid_max}});
    if (!rows) return rows.error();
    if (!rows->empty()) {
      auto copied = copy_rows(conn, owner, *rows, *target);
      if (!copied) return copied.error();
      auto ex = expunge_rows(conn, *src, *rows);
      if (!ex) return ex.error();
    }
  } else {
    // RFC 9051 §6.3.6: inferior hierarchical names are renamed too. Picked out here rather than
    // by a pattern, which would have to escape LIKE's wildcards and mind its case folding.
    auto all = conn.query("SELECT name FROM mail_mailboxes WHERE account = ?1", owner);
    if (!all) return all.error();
    const std::string prefix = *f + "/";
    std::vector<std::string> names{*f};
    for (int i = 0; i < all->size(); ++i)
      if (auto name = all->text(i, 0); name.starts_with(prefix)) names.push_back(std::move(name));
    for (auto& old : names) {
      std::string renamed = *n + old.substr(f->size());
      if (renamed.size() > max_name_bytes) return fail("mail.invalid", "mailbox name too long");
      auto r = conn.query("UPDATE mail_mailboxes SET name = ?3 WHERE account = ?1 AND name = ?2", owner, old, renamed);
      if (!r) return r.error().code == "db.constraint" ? fail("mail.exists", "mailbox exists: " + renamed) : r.error();
    }
  }
  if (auto r = adopt_subscriptions(conn, owner); !r) return r.error();
  if (auto r = w->tx.commit(); !r) return r.error();
  publish("mail.changed", owner, *f);
  return {};
}

result<void> sql_store::remove(std::string_view account, std::string_view name) {
  auto n = canonical_mailbox_name(name);
  if (!n) return fail("mail.invalid", "invalid mailbox name");
  // RFC 9051 §6.3.5: it is an error to attempt to delete INBOX.
  if (*n == "INBOX") return fail("mail.forbidden", "INBOX cannot be deleted");
  std::set<std::string> blobs;
  std::string owner;
  {
    auto w = begin_write(account, {});
    if (!w) return w.error();
    auto& conn = *w->conn;
    owner = w->account.address;
    auto m = need_mailbox(conn, owner, *n);
    if (!m) return m.error();
    auto ids = conn.query("SELECT DISTINCT blob_id FROM mail_messages WHERE mailbox_id = ?1", m->id);
    if (!ids) return ids.error();
    for (int i = 0; i < ids->size(); ++i) blobs.insert(ids->text(i, 0));
    // RFC 9051 §6.3.7: the server must not remove the name from the subscriptions.
    if (auto r = conn.query("INSERT INTO mail_absent_subscriptions(account, name) "
                            "SELECT account, name FROM mail_mailboxes WHERE id = ?1 AND subscribed <> 0 "
                            "ON CONFLICT(account, name) DO NOTHING",
                            m->id);
        !r)
      return r.error();
    // Messages go by the foreign key's cascade; annotations name the mailbox without one.
    if (auto r = conn.query("DELETE FROM mail_mailboxes WHERE id = ?1", m->id); !r) return r.error();
    if (auto r = conn.query("DELETE FROM mail_metadata WHERE account = ?1 AND mailbox_id = ?2", owner, m->id); !r)
      return r.error();
    if (auto r = w->tx.commit(); !r) return r.error();
  }
  collect_garbage(blobs);
  publish("mail.changed", owner, *n);
  return {};
}

result<void> sql_store::subscribe(std::string_view account, std::string_view name, bool subscribed) {
  auto n = canonical_mailbox_name(name);
  if (!n) return fail("mail.invalid", "invalid mailbox name");
  auto w = begin_write(account, {});
  if (!w) return w.error();
  auto& conn = *w->conn;
  const auto& owner = w->account.address;
  auto m = find_mailbox(conn, owner, *n);
  if (!m) return m.error();
  if (*m) {
    if (auto r = conn.query("UPDATE mail_mailboxes SET subscribed = ?2 WHERE id = ?1", (*m)->id, subscribed); !r)
      return r.error();
  } else {
    // RFC 9051 §6.3.7: a name that does not exist (yet) may be subscribed all the same.
    auto r = subscribed ? conn.query("INSERT INTO mail_absent_subscriptions(account, name) VALUES(?1, ?2) "
                                     "ON CONFLICT(account, name) DO NOTHING",
                                     owner, *n)
                        : conn.query("DELETE FROM mail_absent_subscriptions WHERE account = ?1 AND name = ?2", owner, *n);
    if (!r) return r.error();
    if (!subscribed && r->affected() == 0) return fail("mail.no_mailbox", "no such mailbox: " + *n);
  }
  if (auto r = w->tx.commit(); !r) return r.error();
  publish("mail.changed", owner, *n);
  return {};
}

result<std::vector<std::string>> sql_store::absent_subscriptions(std::string_view account) {
  auto rd = begin_read(account);
  if (!rd) return rd.error();
  auto r = rd->conn->query("SELECT name FROM mail_absent_subscriptions WHERE account = ?1 ORDER BY name",
                           rd->account.address);
  if (!r) return r.error();
  std::vector<std::string> out;
  out.reserve(r->size());
  for (int i = 0; i < r->size(); ++i) out.push_back(r->text(i, 0));
  return out;
}

}  // namespace hearth::mail
