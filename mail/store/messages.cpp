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

message_row read_message(const sql::rows& r, int i) {
  message_row m;
  m.id = r.int64(i, 0);
  m.info.uid = static_cast<std::uint32_t>(r.int64(i, 1));
  m.info.modseq = static_cast<std::uint64_t>(r.int64(i, 2));
  m.info.flags = split_flags(r.text(i, 3));
  m.info.internal_date = r.int64(i, 4);
  m.info.size = static_cast<std::uint64_t>(r.int64(i, 5));
  m.info.blob_id = r.text(i, 6);
  m.info.save_date = r.opt_int64(i, 7);
  return m;
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
  if (uids.size() > 1) {
    std::sort(out.begin(), out.end(), [](auto& x, auto& y) { return x.info.uid < y.info.uid; });
    out.erase(std::unique(out.begin(), out.end(), [](auto& x, auto& y) { return x.info.uid == y.info.uid; }),
              out.end());
  }
  return out;
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
                                             std::optional<std::int64_t> internal_date) {
  if (!blob::valid_id(blob_id)) return fail("mail.invalid", "invalid blob id");
  return append_common(account, mailbox, blob_id, nullptr, flags, internal_date);
}

result<append_result> sql_store::deliver(std::string_view account, std::string_view bytes) {
  return append(account, "INBOX", bytes, {}, std::nullopt);
}

result<append_result> sql_store::append_common(std::string_view account, std::string_view mailbox,
                                               std::string_view blob_id, const std::string_view* bytes,
                                               const std::vector<std::string>& flags,
                                               std::optional<std::int64_t> internal_date, bool with_row) {
  // Unix seconds from 1970 to the end of year 9999: IMAP date-time cannot say more.
  if (internal_date && (*internal_date < 0 || *internal_date > 253402300799))
    return fail("mail.invalid", "internal date out of range");
  auto fl = canonical_flags(flags);
  if (!fl) return fl.error();
  auto w = begin_write(account);
  if (!w) return w.error();
  auto& conn = *w->conn;
  const auto& a = w->account;
  // Blobs freed by earlier commits that were not fsync'd (store.hpp "Blob garbage"), taken
  // under the write lock so that each one's commit precedes ours: `pending` becomes durable
  // with our fsync; `ready` was covered by an earlier one and goes in this transaction. Given
  // back if we fail (a second removal attempt is harmless).
  struct garbage_hold {
    sql_store& s;
    std::set<std::string> pending, ready;
    ~garbage_hold() { s.give_back_garbage(std::move(pending), std::move(ready)); }
  } garbage{*this, take_garbage(), take_durable_garbage()};
  // Read under the write lock (every write transaction takes it, on both engines), so
  // uidnext and highestmodseq cannot move before our UPDATE: no two writers, in this process
  // or another node, hand out the same uid or modseq.
  auto m = need_mailbox(conn, a.address, mailbox);
  if (!m) return m.error();
  // Re-checked under the write lock: collect_garbage may have removed an identical blob
  // between our put() and now (see store.hpp "Blob garbage").
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
  if (a.quota) {
    auto u = usage_in(conn, a);
    if (!u) return u.error();
    if (u->used_bytes + *size > a.quota) return fail("mail.quota", "quota exceeded for " + a.address);
  }
  if (m->uidnext == uid_max) return fail("mail.invalid", "mailbox has used every UID");
  std::uint32_t uid = m->uidnext;
  std::uint64_t modseq = m->highestmodseq + 1;
  const auto now = unix_now();
  // Queued: on PostgreSQL the row, the mailbox's counters (and an inline body) travel with
  // COMMIT in one round trip; an error among them is commit()'s.
  if (auto r = sql::queue(conn, "INSERT INTO mail_messages(mailbox_id, account, uid, modseq, flags, seen, deleted, "
                          "internal_date, size, blob_id, save_date) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                          m->id, a.address, uid, modseq, join_flags(*fl), has_flag(*fl, "\\Seen"),
                          has_flag(*fl, "\\Deleted"), internal_date.value_or(now), *size, blob_id, now);
      !r)
    return r.error();
  if (auto r = sql::queue(conn, "UPDATE mail_mailboxes SET uidnext = ?2, highestmodseq = ?3 WHERE id = ?1", m->id, uid + 1,
                          modseq);
      !r)
    return r.error();
  // After our row: a blob freed earlier and appended again now is ours and stays.
  remove_unused_blobs(conn, garbage.ready);
  if (auto r = w->tx.commit(); !r) return r.error();
  garbage.ready.clear();
  // Now covered by our fsync: the next write transaction removes them.
  garbage.ready = std::exchange(garbage.pending, {});
  publish("mail.new", a.address, m->name);
  return append_result{m->uidvalidity, uid, modseq};
}

result<std::vector<message_info>> sql_store::fetch(std::string_view account, std::string_view mailbox,
                                                   const uid_set& uids) {
  if (auto r = check_uid_set(uids); !r) return r.error();
  auto rd = begin_read(account);
  if (!rd) return rd.error();
  auto m = need_mailbox(*rd->conn, rd->account.address, mailbox);
  if (!m) return m.error();
  auto rows = select_messages(*rd->conn, m->id, uids);
  if (!rows) return rows.error();
  std::vector<message_info> out;
  out.reserve(rows->size());
  for (auto& r : *rows) out.push_back(std::move(r.info));
  return out;
}

result<std::shared_ptr<const sql_store::flag_index>> sql_store::flag_index_of(sql::connection& c, const mailbox_row& m) {
  {
    std::lock_guard lock(index_mu_);
    auto it = index_.find(m.id);
    if (it != index_.end() && it->second->uidvalidity == m.uidvalidity && it->second->highestmodseq == m.highestmodseq)
      return it->second;
  }
  // SQLite serves it from the covering index mail_messages_view: no table rows are read.
  auto r = c.query("SELECT uid, modseq, flags FROM mail_messages WHERE mailbox_id = ?1 ORDER BY uid", m.id);
  if (!r) return r.error();
  auto idx = std::make_shared<flag_index>();
  idx->uidvalidity = m.uidvalidity;
  idx->highestmodseq = m.highestmodseq;
  const auto n = static_cast<std::size_t>(r->size());
  idx->uids.reserve(n);
  idx->modseqs.reserve(n);
  idx->flags.reserve(n);
  std::set<std::string> keywords;
  for (int i = 0; i < r->size(); ++i) {
    idx->uids.push_back(static_cast<std::uint32_t>(r->int64(i, 0)));
    idx->modseqs.push_back(static_cast<std::uint64_t>(r->int64(i, 1)));
    if (r->is_null(i, 2)) {
      idx->flags.emplace_back();
      continue;
    }
    // Stored flags: system flags (with '\\') first, then keywords.
    const auto& stored = idx->flags.emplace_back(r->text(i, 2));
    std::string_view flags(stored);
    while (!flags.empty()) {
      auto sp = flags.find(' ');
      auto part = flags.substr(0, sp);
      if (!part.empty() && part[0] != '\\') keywords.emplace(part);
      if (sp == std::string_view::npos) break;
      flags.remove_prefix(sp + 1);
    }
  }
  idx->keywords.assign(keywords.begin(), keywords.end());
  std::shared_ptr<const flag_index> out = std::move(idx);
  const auto rows = out->uids.size();
  if (rows <= flag_index_max_rows) {
    std::lock_guard lock(index_mu_);
    auto& slot = index_[m.id];
    // Another session may have stored a newer state meanwhile: keep the newer one.
    if (!slot || slot->uidvalidity != out->uidvalidity || slot->highestmodseq < out->highestmodseq) {
      if (slot) index_rows_ -= slot->uids.size();
      if (index_rows_ + rows > flag_index_max_rows) {  // over budget: start again with this one
        index_.clear();
        index_rows_ = 0;
      }
      index_[m.id] = out;
      index_rows_ += rows;
    }
  }
  return out;
}

result<std::pair<mailbox_row, std::shared_ptr<const sql_store::flag_index>>> sql_store::read_flag_index(
    std::string_view account, std::string_view mailbox) {
  auto rd = begin_read(account);
  if (!rd) return rd.error();
  // The mailbox row and the index come from one read, so they agree; the index is immutable.
  read_txn txn(*rd->conn);
  if (!txn.open) return fail("mail.db", "cannot begin a read");
  auto m = need_mailbox(*rd->conn, rd->account.address, mailbox);
  if (!m) return m.error();
  auto idx = flag_index_of(*rd->conn, *m);
  if (!idx) return idx.error();
  return std::pair{std::move(*m), std::move(*idx)};
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
  // Flags are state a client sets again, not mail: like Dovecot's default (mail_fsync =
  // optimized), the change is not fsync'd. It survives a crash of the process (WAL), and a
  // power loss may undo the last ones; the next fsync'd commit (an APPEND) makes them durable.
  auto w = begin_write(account, sql::durability::normal);
  if (!w) return w.error();
  auto& conn = *w->conn;
  auto m = need_mailbox(conn, w->account.address, mailbox);
  if (!m) return m.error();
  auto rows = select_messages(conn, m->id, uids);
  if (!rows) return rows.error();
  flags_result out;
  std::uint64_t modseq = m->highestmodseq + 1;
  for (auto& r : *rows) {
    // RFC 7162 §3.2: a message changed since UNCHANGEDSINCE is not touched, and reported.
    if (unchanged_since && r.info.modseq > *unchanged_since) {
      out.modified.push_back(r.info.uid);
      continue;
    }
    auto next = apply_flags(r.info.flags, mode, *given);
    if (next == r.info.flags) continue;  // no change, no new modseq (RFC 7162 §3.2)
    if (auto res = conn.query("UPDATE mail_messages SET flags = ?2, seen = ?3, deleted = ?4, modseq = ?5 WHERE id = ?1",
                              r.id, join_flags(next), has_flag(next, "\\Seen"), has_flag(next, "\\Deleted"), modseq);
        !res)
      return res.error();
    r.info.flags = std::move(next);
    r.info.modseq = modseq;
    out.updated.push_back(std::move(r.info));
  }
  if (!out.updated.empty())
    if (auto r = conn.query("UPDATE mail_mailboxes SET highestmodseq = ?2 WHERE id = ?1", m->id, modseq); !r)
      return r.error();
  if (auto r = w->tx.commit(); !r) return r.error();
  if (!out.updated.empty()) publish("mail.changed", w->account.address, m->name);
  return out;
}

result<changes> sql_store::changes_since(std::string_view account, std::string_view mailbox, std::uint64_t since) {
  auto rd = begin_read(account);
  if (!rd) return rd.error();
  auto& conn = *rd->conn;
  // One read transaction so that the messages, the log and HIGHESTMODSEQ agree.
  read_txn txn(conn);
  if (!txn.open) return fail("mail.db", "cannot begin a read");
  auto m = need_mailbox(conn, rd->account.address, mailbox);
  if (!m) return m.error();
  changes out;
  out.highestmodseq = m->highestmodseq;
  static const std::string changed_sql =
      std::string(message_cols) + "FROM mail_messages WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid";
  auto changed = conn.query(changed_sql, m->id, since);
  if (!changed) return changed.error();
  out.changed.reserve(changed->size());
  for (int i = 0; i < changed->size(); ++i) out.changed.push_back(read_message(*changed, i).info);
  auto gone = conn.query("SELECT uid FROM mail_expunged WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid", m->id, since);
  if (!gone) return gone.error();
  out.vanished.reserve(gone->size());
  for (int i = 0; i < gone->size(); ++i) out.vanished.push_back(static_cast<std::uint32_t>(gone->int64(i, 0)));
  return out;
}

}  // namespace hearth::mail
