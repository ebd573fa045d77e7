// Mailbox operations: list, status, create, rename, delete, subscribe.
#include "mail/store/sqlite_store.hpp"

namespace hearth::mail {

namespace {

constexpr std::string_view mailbox_select = R"sql(
SELECT b.name, b.special_use, b.subscribed, b.uidvalidity, b.uidnext, b.highestmodseq,
       COUNT(m.id), COALESCE(SUM(m.seen = 0), 0), COALESCE(SUM(m.deleted), 0), COALESCE(SUM(m.size), 0),
       COALESCE(SUM(m.uid > b.recent_uid), 0)
FROM mail_mailboxes b LEFT JOIN mail_messages m ON m.mailbox_id = b.id
WHERE b.account = ?1 AND (?2 IS NULL OR b.name = ?2)
GROUP BY b.id
ORDER BY b.name <> 'INBOX', b.name)sql";

mailbox_info read_info(db::statement& st) {
  mailbox_info i;
  i.name = st.column_text(0);
  i.special_use = st.column_text(1);
  i.subscribed = st.column_int64(2) != 0;
  i.uidvalidity = static_cast<std::uint32_t>(st.column_int64(3));
  i.uidnext = static_cast<std::uint32_t>(st.column_int64(4));
  i.highestmodseq = static_cast<std::uint64_t>(st.column_int64(5));
  i.messages = static_cast<std::uint32_t>(st.column_int64(6));
  i.unseen = static_cast<std::uint32_t>(st.column_int64(7));
  i.deleted = static_cast<std::uint32_t>(st.column_int64(8));
  i.bytes = static_cast<std::uint64_t>(st.column_int64(9));
  i.recent = static_cast<std::uint32_t>(st.column_int64(10));
  return i;
}

result<std::vector<mailbox_info>> query_infos(db::connection& c, const std::string& account,
                                              std::optional<std::string> name) {
  auto st = c.prepare(mailbox_select);
  if (!st) return st.error();
  st->bind_all(account, name);
  std::vector<mailbox_info> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(read_info(*st));
  }
  return out;
}

// A subscription kept for an absent name applies again once a mailbox has that name.
result<void> adopt_subscriptions(db::connection& c, const std::string& account) {
  auto up = c.prepare(
      "UPDATE mail_mailboxes SET subscribed = 1 WHERE account = ?1 AND name IN "
      "(SELECT name FROM mail_absent_subscriptions WHERE account = ?1)");
  if (!up) return up.error();
  if (auto r = up->bind_all(account).run(); !r) return r.error();
  auto del = c.prepare(
      "DELETE FROM mail_absent_subscriptions WHERE account = ?1 AND name IN "
      "(SELECT name FROM mail_mailboxes WHERE account = ?1)");
  if (!del) return del.error();
  return del->bind_all(account).run();
}

bool valid_special_use(std::string_view s) {
  for (auto v : {"", "\\Sent", "\\Drafts", "\\Trash", "\\Junk", "\\Archive", "\\All", "\\Flagged"})
    if (s == v) return true;
  return false;
}

}  // namespace

result<std::vector<mailbox_info>> sqlite_store::list(std::string_view account) {
  auto a = prepare(account);
  if (!a) return a.error();
  auto c = db_.try_get();
  if (!c) return c.error();
  return query_infos(**c, a->address, std::nullopt);
}

result<mailbox_info> sqlite_store::status(std::string_view account, std::string_view mailbox) {
  auto a = prepare(account);
  if (!a) return a.error();
  auto n = canonical_mailbox_name(mailbox);
  if (!n) return fail("mail.invalid", "invalid mailbox name");
  auto c = db_.try_get();
  if (!c) return c.error();
  auto infos = query_infos(**c, a->address, *n);
  if (!infos) return infos.error();
  if (infos->empty()) return fail("mail.no_mailbox", "no such mailbox: " + *n);
  return std::move(infos->front());
}

result<std::uint32_t> sqlite_store::claim_recent(std::string_view account, std::string_view mailbox,
                                                std::uint32_t upto) {
  auto a = prepare(account);
  if (!a) return a.error();
  auto c = db_.try_get();
  if (!c) return c.error();
  auto& conn = **c;
  // The mailbox's id and its recent mark, read on `conn` inside a transaction or not.
  struct marked {
    std::int64_t id;
    std::uint32_t mark;
  };
  auto read_mark = [&]() -> result<marked> {
    auto m = need_mailbox(conn, a->address, mailbox);
    if (!m) return m.error();
    auto q = conn.prepare("SELECT recent_uid FROM mail_mailboxes WHERE id = ?1");
    if (!q) return q.error();
    q->bind_all(m->id);
    auto row = q->step();
    if (!row) return row.error();
    return marked{m->id, *row ? static_cast<std::uint32_t>(q->column_int64(0)) : 0u};
  };
  // Most calls find nothing to claim (every SELECT and every new-mail refresh asks): answer
  // those from a plain read, so they do not queue for the write lock behind an APPEND's
  // fsync. A mark at or above `upto` never goes down, so the answer stays true.
  auto seen = read_mark();
  if (!seen) return seen.error();
  if (seen->mark >= upto) return seen->mark;
  // The mark is a hint, not mail: after a crash a message may be recent once more, which
  // RFC 3501 allows, so this write need not wait for fsync.
  auto t = db::transaction::begin(conn, db::durability::normal);
  if (!t) return t.error();
  auto cur = read_mark();
  if (!cur) return cur.error();
  const auto before = cur->mark;
  if (upto > before) {
    auto up = conn.prepare("UPDATE mail_mailboxes SET recent_uid = ?2 WHERE id = ?1");
    if (!up) return up.error();
    if (auto r = up->bind_all(cur->id, std::int64_t{upto}).run(); !r) return r.error();
  }
  if (auto r = t->commit(); !r) return r.error();
  return before;
}

result<std::vector<std::pair<std::string, std::string>>> sqlite_store::metadata(std::string_view account,
                                                                              std::string_view mailbox) {
  auto a = prepare(account);
  if (!a) return a.error();
  auto c = db_.try_get();
  if (!c) return c.error();
  auto& conn = **c;
  std::int64_t id = 0;
  if (!mailbox.empty()) {
    auto m = need_mailbox(conn, a->address, mailbox);
    if (!m) return m.error();
    id = m->id;
  }
  auto q = conn.prepare("SELECT entry, value FROM mail_metadata WHERE account = ?1 AND mailbox_id = ?2 ORDER BY entry");
  if (!q) return q.error();
  q->bind_all(a->address, id);
  std::vector<std::pair<std::string, std::string>> out;
  for (;;) {
    auto row = q->step();
    if (!row) return row.error();
    if (!*row) break;
    out.emplace_back(q->column_text(0), q->column_text(1));
  }
  return out;
}

result<void> sqlite_store::set_metadata(std::string_view account, std::string_view mailbox,
                                        const std::vector<std::pair<std::string, std::optional<std::string>>>& values) {
  auto w = begin_write(account);
  if (!w) return w.error();
  auto& conn = *w->conn;
  std::int64_t id = 0;
  std::string name;  // "" for the server's annotations
  if (!mailbox.empty()) {
    auto m = need_mailbox(conn, w->account.address, mailbox);
    if (!m) return m.error();
    id = m->id;
    name = m->name;
  }
  auto put = conn.prepare("INSERT OR REPLACE INTO mail_metadata(account, mailbox_id, entry, value) VALUES(?1, ?2, ?3, ?4)");
  auto del = conn.prepare("DELETE FROM mail_metadata WHERE account = ?1 AND mailbox_id = ?2 AND entry = ?3");
  if (!put) return put.error();
  if (!del) return del.error();
  for (const auto& [entry, value] : values) {
    auto r = value ? put->bind_all(w->account.address, id, entry, *value).run()
                   : del->bind_all(w->account.address, id, entry).run();
    if (!r) return r.error();
  }
  auto n = conn.prepare("SELECT COUNT(*) FROM mail_metadata WHERE account = ?1 AND mailbox_id = ?2");
  if (!n) return n.error();
  n->bind_all(w->account.address, id);
  auto row = n->step();
  if (!row) return row.error();
  if (static_cast<std::size_t>(n->column_int64(0)) > max_metadata_entries)
    return fail("mail.metadata_toomany", "too many annotations");  // the transaction rolls back
  if (auto r = w->tx.commit(); !r) return r.error();
  publish("mail.changed", w->account.address, name);
  return {};
}

result<mailbox_info> sqlite_store::create(std::string_view account, std::string_view name,
                                          std::string_view special_use) {
  auto a = prepare(account);
  if (!a) return a.error();
  auto n = canonical_mailbox_name(name);
  if (!n) return fail("mail.invalid", "invalid mailbox name");
  // RFC 6154 §5.3: an unknown special-use attribute makes CREATE fail.
  if (!valid_special_use(special_use)) return fail("mail.invalid", "unknown special-use attribute");
  auto c = db_.try_get();
  if (!c) return c.error();
  auto& conn = **c;
  auto t = db::transaction::begin(conn, db::durability::full);
  if (!t) return t.error();
  // RFC 9051 §6.3.4: CREATE of an existing name is NO.
  auto existing = find_mailbox(conn, a->address, *n);
  if (!existing) return existing.error();
  if (*existing) return fail("mail.exists", "mailbox exists: " + *n);
  auto m = insert_mailbox(conn, a->address, *n, special_use);
  if (!m) return m.error();
  if (auto r = adopt_subscriptions(conn, a->address); !r) return r.error();
  if (auto r = t->commit(); !r) return r.error();
  publish("mail.changed", a->address, m->name);
  mailbox_info info;
  info.name = m->name;
  info.special_use = std::string(special_use);
  info.uidvalidity = m->uidvalidity;
  return info;
}

result<void> sqlite_store::rename(std::string_view account, std::string_view from, std::string_view to) {
  auto a = prepare(account);
  if (!a) return a.error();
  auto f = canonical_mailbox_name(from);
  auto n = canonical_mailbox_name(to);
  if (!f || !n) return fail("mail.invalid", "invalid mailbox name");
  if (*n == "INBOX") return fail("mail.forbidden", "cannot rename onto INBOX");
  if (*n == *f) return fail("mail.exists", "mailbox exists: " + *n);
  if (n->starts_with(*f + "/")) return fail("mail.invalid", "cannot rename a mailbox into itself");
  auto c = db_.try_get();
  if (!c) return c.error();
  auto& conn = **c;
  auto t = db::transaction::begin(conn, db::durability::full);
  if (!t) return t.error();
  auto src = need_mailbox(conn, a->address, *f);
  if (!src) return src.error();
  if (auto dst = find_mailbox(conn, a->address, *n); !dst)
    return dst.error();
  else if (*dst)
    return fail("mail.exists", "mailbox exists: " + *n);

  if (*f == "INBOX") {
    // RFC 9051 §6.3.6: renaming INBOX moves its messages to a new mailbox and leaves INBOX
    // (empty) in place; INBOX's inferiors are not renamed.
    auto target = insert_mailbox(conn, a->address, *n, "");
    if (!target) return target.error();
    auto rows = select_messages(conn, src->id, {{1, uid_max}});
    if (!rows) return rows.error();
    if (!rows->empty()) {
      auto copied = copy_rows(conn, a->address, *rows, *target);
      if (!copied) return copied.error();
      auto ex = expunge_rows(conn, *src, *rows);
      if (!ex) return ex.error();
    }
  } else {
    // RFC 9051 §6.3.6: inferior hierarchical names are renamed too.
    std::string prefix = *f + "/";
    auto kids = conn.prepare("SELECT name FROM mail_mailboxes WHERE account = ?1 AND substr(name, 1, ?2) = ?3");
    if (!kids) return kids.error();
    kids->bind_all(a->address, static_cast<std::int64_t>(prefix.size()), prefix);
    std::vector<std::string> names{*f};
    for (;;) {
      auto row = kids->step();
      if (!row) return row.error();
      if (!*row) break;
      names.push_back(kids->column_text(0));
    }
    kids->reset();
    auto up = conn.prepare("UPDATE mail_mailboxes SET name = ?3 WHERE account = ?1 AND name = ?2");
    if (!up) return up.error();
    for (auto& old : names) {
      std::string renamed = *n + old.substr(f->size());
      if (renamed.size() > max_name_bytes) return fail("mail.invalid", "mailbox name too long");
      auto r = up->bind_all(a->address, old, renamed).run();
      if (!r) return r.error().code == "db.constraint" ? fail("mail.exists", "mailbox exists: " + renamed) : r.error();
    }
  }
  if (auto r = adopt_subscriptions(conn, a->address); !r) return r.error();
  if (auto r = t->commit(); !r) return r.error();
  publish("mail.changed", a->address, *f);
  return {};
}

result<void> sqlite_store::remove(std::string_view account, std::string_view name) {
  auto a = prepare(account);
  if (!a) return a.error();
  auto n = canonical_mailbox_name(name);
  if (!n) return fail("mail.invalid", "invalid mailbox name");
  // RFC 9051 §6.3.5: it is an error to attempt to delete INBOX.
  if (*n == "INBOX") return fail("mail.forbidden", "INBOX cannot be deleted");
  auto c = db_.try_get();
  if (!c) return c.error();
  auto& conn = **c;
  std::set<std::string> blobs;
  {
    auto t = db::transaction::begin(conn, db::durability::full);
    if (!t) return t.error();
    auto m = need_mailbox(conn, a->address, *n);
    if (!m) return m.error();
    auto st = conn.prepare("SELECT DISTINCT blob_id FROM mail_messages WHERE mailbox_id = ?1");
    if (!st) return st.error();
    st->bind(1, m->id);
    for (;;) {
      auto row = st->step();
      if (!row) return row.error();
      if (!*row) break;
      blobs.insert(st->column_text(0));
    }
    st->reset();
    // RFC 9051 §6.3.7: the server must not remove the name from the subscriptions.
    auto keep = conn.prepare(
        "INSERT OR IGNORE INTO mail_absent_subscriptions(account, name) "
        "SELECT account, name FROM mail_mailboxes WHERE id = ?1 AND subscribed <> 0");
    if (!keep) return keep.error();
    if (auto r = keep->bind(1, m->id).run(); !r) return r.error();
    auto del = conn.prepare("DELETE FROM mail_mailboxes WHERE id = ?1");  // messages cascade
    if (!del) return del.error();
    if (auto r = del->bind(1, m->id).run(); !r) return r.error();
    auto meta = conn.prepare("DELETE FROM mail_metadata WHERE account = ?1 AND mailbox_id = ?2");
    if (!meta) return meta.error();
    if (auto r = meta->bind_all(a->address, m->id).run(); !r) return r.error();
    if (auto r = t->commit(); !r) return r.error();
  }
  collect_garbage(blobs);
  publish("mail.changed", a->address, *n);
  return {};
}

result<void> sqlite_store::subscribe(std::string_view account, std::string_view name, bool subscribed) {
  auto w = begin_write(account);
  if (!w) return w.error();
  auto* a = &w->account;
  auto& conn = *w->conn;
  auto* t = &w->tx;
  auto n = canonical_mailbox_name(name);
  if (!n) return fail("mail.invalid", "invalid mailbox name");
  auto m = find_mailbox(conn, a->address, *n);
  if (!m) return m.error();
  if (*m) {
    auto st = conn.prepare("UPDATE mail_mailboxes SET subscribed = ?2 WHERE id = ?1");
    if (!st) return st.error();
    if (auto r = st->bind_all((*m)->id, subscribed).run(); !r) return r.error();
    if (auto r = t->commit(); !r) return r.error();
    publish("mail.changed", a->address, *n);
    return {};
  }
  // RFC 9051 §6.3.7: a name that does not exist (yet) may be subscribed all the same.
  auto st = conn.prepare(subscribed ? "INSERT OR IGNORE INTO mail_absent_subscriptions(account, name) VALUES(?1, ?2)"
                                    : "DELETE FROM mail_absent_subscriptions WHERE account = ?1 AND name = ?2");
  if (!st) return st.error();
  if (auto r = st->bind_all(a->address, *n).run(); !r) return r.error();
  if (!subscribed && conn.changes() == 0) return fail("mail.no_mailbox", "no such mailbox: " + *n);
  if (auto r = t->commit(); !r) return r.error();
  publish("mail.changed", a->address, *n);
  return {};
}

result<std::vector<std::string>> sqlite_store::absent_subscriptions(std::string_view account) {
  auto a = prepare(account);
  if (!a) return a.error();
  auto c = db_.try_get();
  if (!c) return c.error();
  auto st = (*c)->prepare("SELECT name FROM mail_absent_subscriptions WHERE account = ?1 ORDER BY name");
  if (!st) return st.error();
  st->bind_all(a->address);
  std::vector<std::string> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(st->column_text(0));
  }
  return out;
}

}  // namespace hearth::mail
