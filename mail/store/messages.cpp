// Message operations: append, deliver, fetch, flags, changes since a modseq.
#include <algorithm>
#include <set>
#include <utility>

#include "core/blob/sql_rows.hpp"
#include "core/blob/store.hpp"
#include "core/sql/pipeline.hpp"
#include "mail/store/sql_store.hpp"

namespace hearth::mail {

namespace {

constexpr std::string_view message_cols = "SELECT id, uid, modseq, flags, internal_date, size, blob_id, save_date ";

// The message columns of message_cols, starting at column `at`.
message_row read_message(const sql::rows& r, int i, int at = 0) {
  message_row m;
  m.id = r.int64(i, at);
  m.info.uid = static_cast<std::uint32_t>(r.int64(i, at + 1));
  m.info.modseq = static_cast<std::uint64_t>(r.int64(i, at + 2));
  m.info.flags = split_flags(r.text(i, at + 3));
  m.info.internal_date = r.int64(i, at + 4);
  m.info.size = static_cast<std::uint64_t>(r.int64(i, at + 5));
  m.info.blob_id = r.text(i, at + 6);
  m.info.save_date = r.opt_int64(i, at + 7);
  return m;
}

// Rows read range by range, made ascending with each message once, as from a single range.
template <class T, class Uid>
void merge_ranges(std::vector<T>& v, const uid_set& ranges, Uid uid) {
  if (ranges.size() <= 1) return;
  std::sort(v.begin(), v.end(), [&](const T& x, const T& y) { return uid(x) < uid(y); });
  v.erase(std::unique(v.begin(), v.end(), [&](const T& x, const T& y) { return uid(x) == uid(y); }), v.end());
}

}  // namespace

result<std::vector<message_row>> sql_store::select_messages(sql::connection& c, std::int64_t mailbox_id,
                                                            const uid_set& uids) {
  static const std::string sql =
      std::string(message_cols) + "FROM mail_messages WHERE mailbox_id = ?1 AND uid BETWEEN ?2 AND ?3 ORDER BY uid";
  std::vector<message_row> out;
  for (auto& range : uids) {
    auto r = c.query(sql, mailbox_id, range.first, range.last);
    if (!r) return r.error();
    out.reserve(out.size() + r->size());
    for (int i = 0; i < r->size(); ++i) out.push_back(read_message(*r, i));
  }
  merge_ranges(out, uids, [](const message_row& m) { return m.info.uid; });
  return out;
}

result<std::pair<mailbox_row, std::vector<message_row>>> sql_store::select_in_mailbox(sql::connection& c,
                                                                                   std::string_view account,
                                                                                   std::string_view mailbox,
                                                                                   const uid_set& uids,
                                                                                   bool only_deleted) {
  auto name = canonical_mailbox_name(mailbox);
  if (!name) return fail("mail.invalid", "invalid mailbox name");
  static const std::string cols =
      "SELECT b.id, b.name, b.uidvalidity, b.uidnext, b.highestmodseq, m.id, m.uid, m.modseq, m.flags, "
      "m.internal_date, m.size, m.blob_id, m.save_date FROM mail_mailboxes b JOIN mail_messages m ON m.mailbox_id = b.id "
      "WHERE b.account = ?1 AND b.name = ?2 AND m.uid BETWEEN ?3 AND ?4 ";
  static const std::string sql = cols + "ORDER BY m.uid";
  static const std::string deleted_sql = cols + "AND m.deleted <> 0 ORDER BY m.uid";
  std::optional<mailbox_row> box;
  std::vector<message_row> out;
  for (auto& range : uids) {
    auto r = c.query(only_deleted ? deleted_sql : sql, account, *name, range.first, range.last);
    if (!r) return r.error();
    if (!box && !r->empty())
      box = mailbox_row{r->int64(0, 0), r->text(0, 1), static_cast<std::uint32_t>(r->int64(0, 2)),
                        static_cast<std::uint32_t>(r->int64(0, 3)), static_cast<std::uint64_t>(r->int64(0, 4))};
    out.reserve(out.size() + r->size());
    for (int i = 0; i < r->size(); ++i) out.push_back(read_message(*r, i, 5));
  }
  merge_ranges(out, uids, [](const message_row& m) { return m.info.uid; });
  if (!box) {  // no message matched: the mailbox may still exist
    auto m = need_mailbox(c, account, *name);
    if (!m) return m.error();
    box = std::move(*m);
  }
  return std::pair{std::move(*box), std::move(out)};
}

result<append_result> sql_store::append(std::string_view account, std::string_view mailbox, std::string_view bytes,
                                        const std::vector<std::string>& flags,
                                        std::optional<std::int64_t> internal_date) {
  if (bytes.size() > max_message_bytes) return fail("mail.too_big", "message too big");
  // Content the blob store keeps in the database is written with the row, in one transaction:
  // one fsync (shared with concurrent commits) makes both durable together.
  if (bytes.size() <= blobs_.inline_limit()) {
    auto id = blob::id_of(bytes);
    if (id.empty()) return fail("blob.io", "SHA-256 failed");
    return append_common(account, mailbox, id, &bytes, flags, internal_date, true);
  }
  // Otherwise the blob goes first and is durable before any row can name it (principle 3).
  auto id = blobs_.put(bytes);
  if (!id) return id.error();
  return append_common(account, mailbox, *id, &bytes, flags, internal_date);
}

result<append_result> sql_store::append_blob(std::string_view account, std::string_view mailbox,
                                             std::string_view blob_id, const std::vector<std::string>& flags,
                                             std::optional<std::int64_t> internal_date, std::string_view meta) {
  if (!blob::valid_id(blob_id)) return fail("mail.invalid", "invalid blob id");
  return append_common(account, mailbox, blob_id, nullptr, flags, internal_date, false, meta);
}

result<append_result> sql_store::deliver(std::string_view account, std::string_view bytes) {
  return append(account, "INBOX", bytes, {}, std::nullopt);
}

result<append_result> sql_store::append_common(std::string_view account, std::string_view mailbox,
                                               std::string_view blob_id, const std::string_view* bytes,
                                               const std::vector<std::string>& flags,
                                               std::optional<std::int64_t> internal_date, bool with_row,
                                               std::string_view meta) {
  // Unix seconds from 1970 to the end of year 9999: IMAP date-time cannot say more.
  if (internal_date && (*internal_date < 0 || *internal_date > 253402300799))
    return fail("mail.invalid", "internal date out of range");
  auto fl = canonical_flags(flags);
  if (!fl) return fl.error();
  auto w = begin_write(account, {.mailbox = mailbox, .blob = blob_id, .adds = true}, sql::durability::full, true);
  if (!w) return w.error();
  auto& conn = *w->conn;
  const auto& a = w->account;
  // Blobs freed by earlier commits that were not fsync'd (store.hpp "Blob garbage"), taken
  // after those commits returned, so that each one precedes ours: `pending` becomes durable
  // with our fsync; `ready` was covered by an earlier one and goes in this transaction. Given
  // back if we fail (a second removal attempt is harmless).
  struct garbage_hold {
    sql_store& s;
    std::set<std::string> pending, ready;
    ~garbage_hold() { s.give_back_garbage(std::move(pending), std::move(ready)); }
  } garbage{*this, take_garbage(), take_durable_garbage()};
  // Our own content among them is named by our row once it commits, so it stays.
  std::set<std::string> collect = garbage.ready;
  collect.erase(std::string(blob_id));
  auto name = canonical_mailbox_name(mailbox);
  if (!name) return fail("mail.invalid", "invalid mailbox name");
  // The garbage's checks, the quota's sum and the mailbox row go together, after the locks
  // (one round trip on PostgreSQL, with BEGIN). The mailbox is read under its write lock
  // (every write to it takes it, on both engines), so uidnext and highestmodseq cannot move
  // before our UPDATE: no two writers, in this process or another node, hand out the same uid
  // or modseq.
  auto batch = blob_checks(conn, collect);
  const auto checks = batch.size();
  if (a.quota)
    batch.push_back({"SELECT COALESCE(SUM(size), 0) FROM mail_messages WHERE account = ?1", {sql::to_value(a.address)}});
  batch.push_back({find_mailbox_sql, {sql::to_value(a.address), sql::to_value(*name)}});
  auto answers = sql::query_all(conn, batch);
  if (!answers) return answers.error();
  const auto& box = answers->back();
  if (box.empty()) return fail("mail.no_mailbox", "no such mailbox: " + *name);
  const mailbox_row row = mailbox_from(box);
  const mailbox_row* m = &row;
  const std::uint64_t used_bytes = a.quota ? static_cast<std::uint64_t>((*answers)[checks].int64(0, 0)) : 0;
  // Re-checked under the write lock and the blob's key: a removal of an identical blob may
  // have run between our put() and now (see store.hpp "Blob garbage"); none can run until
  // we commit.
  result<std::uint64_t> size = std::uint64_t{0};
  if (with_row) {
    if (auto r = blob::sql_rows::insert(conn, blob_id, *bytes); !r) return r.error();
    size = bytes->size();
  } else {
    size = blobs_.size_of(blob_id);
  }
  if (!size && size.error().code == "blob.not_found" && bytes) {
    if (auto again = blobs_.put(*bytes); !again) return again.error();
    size = blobs_.size_of(blob_id);
  }
  if (!size) {
    if (size.error().code == "blob.not_found") return fail("mail.no_blob", "no such blob: " + std::string(blob_id));
    return size.error();
  }
  if (*size > max_message_bytes) return fail("mail.too_big", "message too big");
  if (a.quota && used_bytes + *size > a.quota) return fail("mail.quota", "quota exceeded for " + a.address);
  if (m->uidnext == uid_max) return fail("mail.invalid", "mailbox has used every UID");
  std::uint32_t uid = m->uidnext;
  std::uint64_t modseq = m->highestmodseq + 1;
  const auto now = unix_now();
  const bool seen = has_flag(*fl, "\\Seen"), deleted = has_flag(*fl, "\\Deleted");
  // Queued: on PostgreSQL the row, the mailbox's counters (and an inline body) travel with
  // COMMIT in one round trip; an error among them is commit()'s.
  if (auto r = sql::queue(conn, "INSERT INTO mail_messages(mailbox_id, account, uid, modseq, flags, seen, deleted, "
                          "internal_date, size, blob_id, save_date) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                          m->id, a.address, uid, modseq, join_flags(*fl), seen, deleted, internal_date.value_or(now),
                          *size, blob_id, now);
      !r)
    return r.error();
  if (auto r = sql::queue(conn, "UPDATE mail_mailboxes SET uidnext = ?2, highestmodseq = ?3, msg_count = msg_count + 1, "
                          "unseen_count = unseen_count + ?4, deleted_count = deleted_count + ?5, "
                          "bytes_total = bytes_total + ?6 WHERE id = ?1",
                          m->id, uid + 1, modseq, seen ? 0 : 1, deleted ? 1 : 0, *size);
      !r)
    return r.error();
  // The blob's derived data with the row that names it (put_blob_meta's statement): a reader
  // that sees the message sees it too, and a crash keeps both or neither.
  if (!meta.empty())
    if (auto r = sql::queue(conn, upsert_blob_meta, blob_id, meta_bytes(meta)); !r)
      return r.error();
  auto busy = remove_checked(conn, collect, std::span<const sql::rows>(answers->data(), checks));
  if (auto r = commit_write(*w, *m, "mail.new"); !r) return r.error();
  // Now covered by our fsync: the next write transaction removes them, and retries those
  // another append held.
  garbage.ready = std::move(busy);
  garbage.ready.merge(garbage.pending);
  garbage.pending.clear();
  message_info stored{uid, modseq, std::move(*fl), internal_date.value_or(now), now, *size, std::string(blob_id)};
  return append_result{m->uidvalidity, uid, modseq, std::move(stored)};
}

result<std::vector<message_info>> sql_store::fetch(std::string_view account, std::string_view mailbox,
                                                   const uid_set& uids) {
  if (auto r = check_uid_set(uids); !r) return r.error();
  auto rd = begin_read(account);
  if (!rd) return rd.error();
  // One statement per range (one round trip on PostgreSQL): the mailbox is found by name in the
  // same statement as its messages.
  auto sel = select_in_mailbox(*rd->conn, rd->account.address, mailbox, uids);
  if (!sel) return sel.error();
  std::vector<message_info> out;
  out.reserve(sel->second.size());
  for (auto& r : sel->second) out.push_back(std::move(r.info));
  return out;
}

std::shared_ptr<const sql_store::flag_index> sql_store::cached_flag_index(const mailbox_row& m) {
  std::lock_guard lock(index_mu_);
  auto it = index_.find(m.id);
  if (it != index_.end() && it->second->uidvalidity == m.uidvalidity && it->second->highestmodseq == m.highestmodseq)
    return it->second;
  return nullptr;
}

void sql_store::keep_flag_index(std::int64_t mailbox_id, std::shared_ptr<const flag_index> idx,
                                std::string_view name_key) {
  const auto rows = idx->uids.size();
  if (rows > flag_index_max_rows) return;
  std::lock_guard lock(index_mu_);
  if (!name_key.empty()) {
    if (index_ids_.size() >= max_index_names) index_ids_.clear();
    index_ids_.insert_or_assign(std::string(name_key), mailbox_id);
  }
  auto& slot = index_[mailbox_id];
  // Another session may have stored a newer state meanwhile: keep the newer one.
  if (slot && slot->uidvalidity == idx->uidvalidity && slot->highestmodseq >= idx->highestmodseq) return;
  if (slot) index_rows_ -= slot->uids.size();
  if (index_rows_ + rows > flag_index_max_rows) {  // over budget: start again with this one
    index_.clear();
    index_rows_ = 0;
    index_ids_.clear();
  }
  index_[mailbox_id] = std::move(idx);
  index_rows_ += rows;
}

namespace {

// The keywords (flags without a backslash) in use in `flags`, sorted and unique.
std::vector<std::string> keywords_in(const std::vector<std::string>& flags) {
  std::set<std::string> keywords;
  for (const auto& stored : flags) {
    std::string_view rest(stored);
    while (!rest.empty()) {
      auto sp = rest.find(' ');
      auto part = rest.substr(0, sp);
      if (!part.empty() && part[0] != '\\') keywords.emplace(part);
      if (sp == std::string_view::npos) break;
      rest.remove_prefix(sp + 1);
    }
  }
  return {keywords.begin(), keywords.end()};
}

}  // namespace

result<std::pair<mailbox_row, std::shared_ptr<const sql_store::flag_index>>> sql_store::read_flag_index(
    std::string_view account, std::string_view mailbox) {
  auto rd = begin_read(account);
  if (!rd) return rd.error();
  auto& c = *rd->conn;
  auto name = canonical_mailbox_name(mailbox);
  if (!name) return fail("mail.invalid", "invalid mailbox name");
  // The mailbox row alone first: an index cached for its (uidvalidity, highestmodseq) is the
  // state of that same row, whichever process wrote it (see flag_index). On PostgreSQL, where
  // each statement is a round trip, a mailbox whose index is cached skips it: the statement
  // below reads the row too, and says both whether the index is current and what changed.
  // Which mailbox a name means is checked there (its id), so a name renamed or recreated since
  // only costs the full read.
  std::string name_key = rd->account.address + '\0' + *name;
  std::shared_ptr<const flag_index> older;
  std::optional<mailbox_row> m;
  if (c.kind() == sql::engine::postgres) {
    std::lock_guard lock(index_mu_);
    if (auto id = index_ids_.find(name_key); id != index_ids_.end())
      if (auto it = index_.find(id->second); it != index_.end()) {
        older = it->second;
        m = mailbox_row{id->second, *name, older->uidvalidity, 0, older->highestmodseq};
      }
  }
  if (!m) {
    auto found = need_mailbox(c, rd->account.address, *name);
    if (!found) return found.error();
    m = std::move(*found);
    if (auto hit = cached_flag_index(*m)) return std::pair{std::move(*m), std::move(hit)};
  }
  // An index cached for an older state of this mailbox is brought up to date from the rows
  // changed and expunged since (indexes mail_messages_modseq and mail_expunged_modseq), in one
  // statement as changes_since reads them: reading every message again would cost each
  // SELECT and SEARCH of a 2 000-message mailbox 2 000 rows (about 2 ms of an I/O thread) to
  // learn of the one message another session's STORE changed. It rests
  // on what changes_since rests on: every write to a mailbox's messages gives the rows it
  // changes, and the expunge log entries it adds, the mailbox's new highestmodseq.
  if (!older) {
    std::lock_guard lock(index_mu_);
    if (auto it = index_.find(m->id); it != index_.end() && it->second->uidvalidity == m->uidvalidity &&
                                      it->second->highestmodseq < m->highestmodseq)
      older = it->second;
  }
  if (older) {
    static const std::string delta_sql =
        "SELECT 0, b.id, b.uidvalidity, b.uidnext, b.highestmodseq, CAST(NULL AS TEXT) "
        "FROM mail_mailboxes b WHERE b.account = ?1 AND b.name = ?2 "
        "UNION ALL "
        "SELECT 1, m.uid, m.modseq, 0, 0, m.flags "
        "FROM mail_mailboxes b JOIN mail_messages m ON m.mailbox_id = b.id "
        "WHERE b.account = ?1 AND b.name = ?2 AND m.modseq > ?3 "
        "UNION ALL "
        "SELECT 2, e.uid, e.modseq, 0, 0, CAST(NULL AS TEXT) "
        "FROM mail_mailboxes b JOIN mail_expunged e ON e.mailbox_id = b.id "
        "WHERE b.account = ?1 AND b.name = ?2 AND e.modseq > ?3 "
        "ORDER BY 1, 2";
    auto r = c.query(delta_sql, rd->account.address, *name, older->highestmodseq);
    if (!r) return r.error();
    if (r->empty() || r->int64(0, 0) != 0) return fail("mail.no_mailbox", "no such mailbox: " + *name);
    mailbox_row row{r->int64(0, 1), m->name, static_cast<std::uint32_t>(r->int64(0, 2)),
                    static_cast<std::uint32_t>(r->int64(0, 3)), static_cast<std::uint64_t>(r->int64(0, 4))};
    // Recreated under the same name in between: the full read below.
    if (row.id == m->id && row.uidvalidity == older->uidvalidity && row.highestmodseq == older->highestmodseq)
      return std::pair{std::move(row), std::move(older)};
    if (row.id == m->id && row.uidvalidity == older->uidvalidity) {
      // Rows 1.. are the changed messages by uid, then the expunged uids by uid (ORDER BY 1, 2).
      int changed_end = 1;
      while (changed_end < r->size() && r->int64(changed_end, 0) == 1) ++changed_end;
      const int gone_end = r->size();
      const auto& old = *older;
      auto idx = std::make_shared<flag_index>();
      idx->uidvalidity = row.uidvalidity;
      idx->highestmodseq = row.highestmodseq;
      const auto want = old.uids.size() + static_cast<std::size_t>(changed_end - 1);
      idx->uids.reserve(want);
      idx->modseqs.reserve(want);
      idx->flags.reserve(want);
      std::size_t i = 0;
      int j = 1, g = changed_end;
      while (i < old.uids.size() || j < changed_end) {
        const auto changed_uid = j < changed_end ? static_cast<std::uint32_t>(r->int64(j, 1)) : 0;
        if (j < changed_end && (i == old.uids.size() || changed_uid <= old.uids[i])) {
          if (i < old.uids.size() && changed_uid == old.uids[i]) ++i;  // changed; else added
          idx->uids.push_back(changed_uid);
          idx->modseqs.push_back(static_cast<std::uint64_t>(r->int64(j, 2)));
          idx->flags.emplace_back(r->is_null(j, 5) ? std::string() : r->text(j, 5));
          ++j;
          continue;
        }
        const auto u = old.uids[i];
        while (g < gone_end && static_cast<std::uint32_t>(r->int64(g, 1)) < u) ++g;
        if (g == gone_end || static_cast<std::uint32_t>(r->int64(g, 1)) != u) {
          idx->uids.push_back(u);
          idx->modseqs.push_back(old.modseqs[i]);
          idx->flags.push_back(old.flags[i]);
        }
        ++i;
      }
      idx->keywords = keywords_in(idx->flags);
      std::shared_ptr<const flag_index> out = std::move(idx);
      keep_flag_index(row.id, out, name_key);
      return std::pair{std::move(row), std::move(out)};
    }
  }
  // Otherwise the row and every message in one statement, so that they agree without a read
  // transaction (BEGIN and COMMIT would be two more round trips on PostgreSQL). SQLite walks
  // the covering index mail_messages_view for the messages, not the table rows.
  auto r = c.query(
      "SELECT b.id, b.name, b.uidvalidity, b.uidnext, b.highestmodseq, m.uid, m.modseq, m.flags "
      "FROM mail_mailboxes b LEFT JOIN mail_messages m ON m.mailbox_id = b.id "
      "WHERE b.account = ?1 AND b.name = ?2 ORDER BY m.uid",
      rd->account.address, *name);
  if (!r) return r.error();
  if (r->empty()) return fail("mail.no_mailbox", "no such mailbox: " + *name);
  mailbox_row row{r->int64(0, 0), r->text(0, 1), static_cast<std::uint32_t>(r->int64(0, 2)),
                  static_cast<std::uint32_t>(r->int64(0, 3)), static_cast<std::uint64_t>(r->int64(0, 4))};
  auto idx = std::make_shared<flag_index>();
  idx->uidvalidity = row.uidvalidity;
  idx->highestmodseq = row.highestmodseq;
  const auto n = static_cast<std::size_t>(r->size());
  idx->uids.reserve(n);
  idx->modseqs.reserve(n);
  idx->flags.reserve(n);
  for (int i = 0; i < r->size(); ++i) {
    if (r->is_null(i, 5)) continue;  // the LEFT JOIN's row of an empty mailbox
    idx->uids.push_back(static_cast<std::uint32_t>(r->int64(i, 5)));
    idx->modseqs.push_back(static_cast<std::uint64_t>(r->int64(i, 6)));
    // Stored flags: system flags (with '\\') first, then keywords.
    idx->flags.emplace_back(r->is_null(i, 7) ? std::string() : r->text(i, 7));
  }
  idx->keywords = keywords_in(idx->flags);
  std::shared_ptr<const flag_index> out = std::move(idx);
  keep_flag_index(row.id, out, name_key);
  return std::pair{std::move(row), std::move(out)};
}

result<mailbox_view> sql_store::view(std::string_view account, std::string_view mailbox) {
  auto r = read_flag_index(account, mailbox);
  if (!r) return r.error();
  const mailbox_row* m = &r->first;
  const auto& x = *r->second;
  mailbox_view out;
  out.name = m->name;
  out.uidvalidity = m->uidvalidity;
  out.uidnext = m->uidnext;
  out.highestmodseq = m->highestmodseq;
  out.messages.resize(x.uids.size());
  for (std::size_t i = 0; i < x.uids.size(); ++i) out.messages[i] = {x.uids[i], x.modseqs[i]};
  out.keywords = x.keywords;
  return out;
}

result<std::vector<message_info>> sql_store::fetch_flags(std::string_view account, std::string_view mailbox) {
  auto r = read_flag_index(account, mailbox);
  if (!r) return r.error();
  const auto& x = *r->second;
  std::vector<message_info> out(x.uids.size());
  for (std::size_t i = 0; i < x.uids.size(); ++i) {
    out[i].uid = x.uids[i];
    out[i].modseq = x.modseqs[i];
    if (!x.flags[i].empty()) out[i].flags = split_flags(x.flags[i]);
  }
  return out;
}

result<flags_result> sql_store::store_flags(std::string_view account, std::string_view mailbox, const uid_set& uids,
                                            flag_mode mode, const std::vector<std::string>& flags,
                                            std::optional<std::uint64_t> unchanged_since) {
  if (auto r = check_uid_set(uids); !r) return r.error();
  auto given = canonical_flags(flags);
  if (!given) return given.error();
  // A STORE that changes nothing (each flag already as asked: a client marking seen what
  // another device marked) is answered from a plain read, without the write lock, which it
  // would otherwise wait for behind other writers. Not on PostgreSQL, where that read is a
  // round trip more for every STORE that changes something, and the transaction's own read
  // answers the others in one round trip too (BEGIN, its locks and the read go together, and
  // the ROLLBACK of a transaction that wrote nothing is not waited for).
  if (db_->kind() != sql::engine::postgres) {
    auto rd = begin_read(account);
    if (!rd) return rd.error();
    auto now = select_in_mailbox(*rd->conn, rd->account.address, mailbox, uids);
    if (!now) return now.error();
    flags_result unchanged;
    bool changes = false;
    for (const auto& r : now->second) {
      if (unchanged_since && r.info.modseq > *unchanged_since) {
        unchanged.modified.push_back(r.info.uid);
        continue;
      }
      if (apply_flags(r.info.flags, mode, *given) != r.info.flags) {
        changes = true;
        break;
      }
    }
    if (!changes) return unchanged;
  }
  // Flags are state a client sets again, not mail: like Dovecot's default (mail_fsync =
  // optimized), the change is not fsync'd. It survives a crash of the process (WAL), and a
  // power loss may undo the last ones; the next fsync'd commit (an APPEND) makes them durable.
  auto w = begin_write(account, {.mailbox = mailbox}, sql::durability::normal);
  if (!w) return w.error();
  auto& conn = *w->conn;
  // The mailbox row and the messages in one statement (one round trip less on PostgreSQL, while
  // this transaction holds the mailbox's write lock); read under that lock, so they cannot move.
  auto sel = select_in_mailbox(conn, w->account.address, mailbox, uids);
  if (!sel) return sel.error();
  auto* m = &sel->first;
  auto* rows = &sel->second;
  flags_result out;
  std::uint64_t modseq = m->highestmodseq + 1;
  count_delta counts;
  for (auto& r : *rows) {
    // RFC 7162 §3.2: a message changed since UNCHANGEDSINCE is not touched, and reported.
    if (unchanged_since && r.info.modseq > *unchanged_since) {
      out.modified.push_back(r.info.uid);
      continue;
    }
    auto next = apply_flags(r.info.flags, mode, *given);
    if (next == r.info.flags) continue;  // no change, no new modseq (RFC 7162 §3.2)
    // Queued, as is the mailbox row's UPDATE: on PostgreSQL they travel with COMMIT.
    if (auto res = sql::queue(conn, "UPDATE mail_messages SET flags = ?2, seen = ?3, deleted = ?4, modseq = ?5 WHERE id = ?1",
                              r.id, join_flags(next), has_flag(next, "\\Seen"), has_flag(next, "\\Deleted"), modseq);
        !res)
      return res.error();
    counts.add(r.info, -1);
    r.info.flags = std::move(next);
    r.info.modseq = modseq;
    counts.add(r.info, +1);
    out.updated.push_back(std::move(r.info));
  }
  if (out.updated.empty()) return out;  // nothing written: rolled back
  if (auto r = sql::queue(conn, "UPDATE mail_mailboxes SET highestmodseq = ?2, unseen_count = unseen_count + ?3, "
                          "deleted_count = deleted_count + ?4 WHERE id = ?1",
                          m->id, modseq, counts.unseen, counts.deleted);
      !r)
    return r.error();
  if (auto r = commit_write(*w, *m, "mail.changed"); !r) return r.error();
  return out;
}

result<changes> sql_store::changes_since(std::string_view account, std::string_view mailbox, std::uint64_t since) {
  auto rd = begin_read(account);
  if (!rd) return rd.error();
  auto name = canonical_mailbox_name(mailbox);
  if (!name) return fail("mail.invalid", "invalid mailbox name");
  // Read already by this command's write, in its commit (refresh_scope.hpp).
  if (auto got = take_expected(*rd->conn, rd->account.address, *name, since)) return std::move(*got);
  auto r = rd->conn->query(changes_sql(), rd->account.address, *name, since);
  if (!r) return r.error();
  auto c = changes_from(*r, *name);
  if (!c) return c.error();
  return std::move(c->ch);
}

}  // namespace hearth::mail
