// Message operations: append, deliver, fetch, flags, changes since a modseq.
#include <algorithm>
#include <set>
#include <utility>

#include <sqlite3.h>

#include "mail/store/sqlite_store.hpp"

namespace hearth::mail {

namespace {

message_row read_message(db::statement& st) {
  message_row r;
  r.id = st.column_int64(0);
  r.info.uid = static_cast<std::uint32_t>(st.column_int64(1));
  r.info.modseq = static_cast<std::uint64_t>(st.column_int64(2));
  r.info.flags = split_flags(st.column_text(3));
  r.info.internal_date = st.column_int64(4);
  r.info.size = static_cast<std::uint64_t>(st.column_int64(5));
  r.info.blob_id = st.column_text(6);
  r.info.save_date = st.column_opt_int64(7);
  return r;
}

}  // namespace

result<std::vector<message_row>> sqlite_store::select_messages(db::connection& c, std::int64_t mailbox_id,
                                                               const uid_set& uids) {
  auto st = c.prepare(
      "SELECT id, uid, modseq, flags, internal_date, size, blob_id, save_date FROM mail_messages "
      "WHERE mailbox_id = ?1 AND uid BETWEEN ?2 AND ?3 ORDER BY uid");
  if (!st) return st.error();
  std::vector<message_row> out;
  // Reserve for the common case (a whole mailbox or a range): growing a 10 000-row vector by
  // doubling copies it and faults in fresh pages each time; unused reserve is never touched.
  std::uint64_t span = 0;
  for (auto& r : uids) span += std::uint64_t(r.last) - r.first + 1;
  out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(span, 1u << 15)));
  for (auto& r : uids) {
    st->bind_all(mailbox_id, r.first, r.last);
    for (;;) {
      auto row = st->step();
      if (!row) return row.error();
      if (!*row) break;
      out.push_back(read_message(*st));
    }
    st->reset();
  }
  if (uids.size() > 1) {
    std::sort(out.begin(), out.end(), [](auto& x, auto& y) { return x.info.uid < y.info.uid; });
    out.erase(std::unique(out.begin(), out.end(), [](auto& x, auto& y) { return x.info.uid == y.info.uid; }),
              out.end());
  }
  return out;
}

result<append_result> sqlite_store::append(std::string_view account, std::string_view mailbox, std::string_view bytes,
                                           const std::vector<std::string>& flags,
                                           std::optional<std::int64_t> internal_date) {
  if (bytes.size() > max_message_bytes) return fail("mail.too_big", "message too big");
  // The blob goes first and is durable before any row can name it (principle 3).
  auto id = blobs_.put(bytes);
  if (!id) return id.error();
  return append_common(account, mailbox, *id, &bytes, flags, internal_date);
}

result<append_result> sqlite_store::append_blob(std::string_view account, std::string_view mailbox,
                                                std::string_view blob_id, const std::vector<std::string>& flags,
                                                std::optional<std::int64_t> internal_date) {
  if (!blob::valid_id(blob_id)) return fail("mail.invalid", "invalid blob id");
  return append_common(account, mailbox, blob_id, nullptr, flags, internal_date);
}

result<append_result> sqlite_store::deliver(std::string_view account, std::string_view bytes) {
  return append(account, "INBOX", bytes, {}, std::nullopt);
}

result<append_result> sqlite_store::append_common(std::string_view account, std::string_view mailbox,
                                                  std::string_view blob_id, const std::string_view* bytes,
                                                  const std::vector<std::string>& flags,
                                                  std::optional<std::int64_t> internal_date) {
  // Unix seconds from 1970 to the end of year 9999: IMAP date-time cannot say more.
  if (internal_date && (*internal_date < 0 || *internal_date > 253402300799))
    return fail("mail.invalid", "internal date out of range");
  auto a = prepare(account);
  if (!a) return a.error();
  auto fl = canonical_flags(flags);
  if (!fl) return fl.error();
  auto c = db_.try_get();
  if (!c) return c.error();
  auto& conn = **c;
  auto t = db::transaction::begin(conn, db::durability::full);
  if (!t) return t.error();
  // Blobs freed by earlier commits that were not fsync'd (store.hpp "Blob garbage"), taken
  // under the write lock so that each one's commit precedes ours: `pending` becomes durable
  // with our fsync; `ready` was covered by an earlier one and goes in this transaction. Given
  // back if we fail (a second removal attempt is harmless).
  struct garbage_hold {
    sqlite_store& s;
    std::set<std::string> pending, ready;
    ~garbage_hold() { s.give_back_garbage(std::move(pending), std::move(ready)); }
  } garbage{*this, take_garbage(), take_durable_garbage()};
  auto m = need_mailbox(conn, a->address, mailbox);
  if (!m) return m.error();
  // Re-checked under the write lock: collect_garbage may have removed an identical blob
  // between our put() and now (see store.hpp "Blob garbage").
  auto size = blobs_.size_of(blob_id);
  if (!size && size.error().code == "blob.not_found" && bytes) {
    if (auto again = blobs_.put(*bytes); !again) return again.error();
    size = blobs_.size_of(blob_id);
  }
  if (!size) {
    if (size.error().code == "blob.not_found") return fail("mail.no_blob", "no such blob: " + std::string(blob_id));
    return size.error();
  }
  if (*size > max_message_bytes) return fail("mail.too_big", "message too big");
  if (a->quota) {
    auto u = usage_in(conn, *a);
    if (!u) return u.error();
    if (u->used_bytes + *size > a->quota) return fail("mail.quota", "quota exceeded for " + a->address);
  }
  if (m->uidnext == uid_max) return fail("mail.invalid", "mailbox has used every UID");
  std::uint32_t uid = m->uidnext;
  std::uint64_t modseq = m->highestmodseq + 1;
  auto ins = conn.prepare(
      "INSERT INTO mail_messages(mailbox_id, account, uid, modseq, flags, seen, deleted, internal_date, size, blob_id, "
      "save_date) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!ins) return ins.error();
  ins->bind_all(m->id, a->address, uid, modseq, join_flags(*fl), has_flag(*fl, "\\Seen"), has_flag(*fl, "\\Deleted"),
                internal_date.value_or(unix_now()), *size, blob_id, unix_now());
  if (auto r = ins->run(); !r) return r.error();
  auto up = conn.prepare("UPDATE mail_mailboxes SET uidnext = ?2, highestmodseq = ?3 WHERE id = ?1");
  if (!up) return up.error();
  if (auto r = up->bind_all(m->id, uid + 1, modseq).run(); !r) return r.error();
  // After our row: a blob freed earlier and appended again now is ours and stays.
  remove_unused_blobs(conn, garbage.ready);
  if (auto r = t->commit(); !r) return r.error();
  garbage.ready.clear();
  // Now covered by our fsync: the next write transaction removes them.
  garbage.ready = std::exchange(garbage.pending, {});
  publish("mail.new", a->address, m->name);
  return append_result{m->uidvalidity, uid, modseq};
}

result<std::vector<message_info>> sqlite_store::fetch(std::string_view account, std::string_view mailbox,
                                                      const uid_set& uids) {
  if (auto r = check_uid_set(uids); !r) return r.error();
  auto a = prepare(account);
  if (!a) return a.error();
  auto c = db_.try_get();
  if (!c) return c.error();
  auto m = need_mailbox(**c, a->address, mailbox);
  if (!m) return m.error();
  auto rows = select_messages(**c, m->id, uids);
  if (!rows) return rows.error();
  std::vector<message_info> out;
  out.reserve(rows->size());
  for (auto& r : *rows) out.push_back(std::move(r.info));
  return out;
}

namespace {

// A read transaction, so that the mailbox row and its messages agree.
struct read_txn {
  db::connection& c;
  bool open = false;
  explicit read_txn(db::connection& conn) : c(conn) {
    auto r = c.exec("BEGIN");
    open = !!r;
  }
  ~read_txn() {
    if (open) (void)c.exec("COMMIT");
  }
};

}  // namespace

result<std::shared_ptr<const sqlite_store::flag_index>> sqlite_store::flag_index_of(db::connection& c,
                                                                                   const mailbox_row& m) {
  {
    std::lock_guard lock(index_mu_);
    auto it = index_.find(m.id);
    if (it != index_.end() && it->second->uidvalidity == m.uidvalidity && it->second->highestmodseq == m.highestmodseq)
      return it->second;
  }
  // Served by the covering index mail_messages_view: no table rows are read.
  auto st = c.prepare("SELECT uid, modseq, flags FROM mail_messages WHERE mailbox_id = ?1 ORDER BY uid");
  if (!st) return st.error();
  st->bind(1, m.id);
  auto idx = std::make_shared<flag_index>();
  idx->uidvalidity = m.uidvalidity;
  idx->highestmodseq = m.highestmodseq;
  // uids are below uidnext: an upper bound on the count (unused reserve is never touched).
  const auto guess = std::min<std::size_t>(m.uidnext > 0 ? m.uidnext - 1 : 0, 1u << 15);
  idx->uids.reserve(guess);
  idx->modseqs.reserve(guess);
  idx->flags.reserve(guess);
  std::set<std::string> keywords;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    idx->uids.push_back(static_cast<std::uint32_t>(st->column_int64(0)));
    idx->modseqs.push_back(static_cast<std::uint64_t>(st->column_int64(1)));
    auto text = reinterpret_cast<const char*>(sqlite3_column_text(st->native_handle(), 2));
    if (!text || !*text) {
      idx->flags.emplace_back();
      continue;
    }
    // Stored flags: system flags (with '\\') first, then keywords.
    std::string_view flags(text);
    idx->flags.emplace_back(flags);
    while (!flags.empty()) {
      auto sp = flags.find(' ');
      auto part = flags.substr(0, sp);
      if (!part.empty() && part[0] != '\\') keywords.emplace(part);
      if (sp == std::string_view::npos) break;
      flags.remove_prefix(sp + 1);
    }
  }
  st->reset();
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

result<std::pair<mailbox_row, std::shared_ptr<const sqlite_store::flag_index>>> sqlite_store::read_flag_index(
    std::string_view account, std::string_view mailbox) {
  auto a = prepare(account);
  if (!a) return a.error();
  auto c = db_.try_get();
  if (!c) return c.error();
  // The mailbox row and the index come from one read, so they agree; the index is immutable.
  read_txn txn(**c);
  if (!txn.open) return fail("mail.db", "cannot begin a read");
  auto m = need_mailbox(**c, a->address, mailbox);
  if (!m) return m.error();
  auto idx = flag_index_of(**c, *m);
  if (!idx) return idx.error();
  return std::pair{std::move(*m), std::move(*idx)};
}

result<mailbox_view> sqlite_store::view(std::string_view account, std::string_view mailbox) {
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

result<std::vector<message_info>> sqlite_store::fetch_flags(std::string_view account, std::string_view mailbox) {
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

result<flags_result> sqlite_store::store_flags(std::string_view account, std::string_view mailbox, const uid_set& uids,
                                               flag_mode mode, const std::vector<std::string>& flags,
                                               std::optional<std::uint64_t> unchanged_since) {
  if (auto r = check_uid_set(uids); !r) return r.error();
  auto given = canonical_flags(flags);
  if (!given) return given.error();
  // Flags are state a client sets again, not mail: like Dovecot's default (mail_fsync =
  // optimized), the change is not fsync'd. It survives a crash of the process (WAL), and a
  // power loss may undo the last ones; the next fsync'd commit (an APPEND) makes them durable.
  auto w = begin_write(account, db::durability::normal);
  if (!w) return w.error();
  auto* a = &w->account;
  auto& conn = *w->conn;
  auto* t = &w->tx;
  auto m = need_mailbox(conn, a->address, mailbox);
  if (!m) return m.error();
  auto rows = select_messages(conn, m->id, uids);
  if (!rows) return rows.error();
  flags_result out;
  std::uint64_t modseq = m->highestmodseq + 1;
  auto up = conn.prepare("UPDATE mail_messages SET flags = ?2, seen = ?3, deleted = ?4, modseq = ?5 WHERE id = ?1");
  if (!up) return up.error();
  for (auto& r : *rows) {
    // RFC 7162 §3.2: a message changed since UNCHANGEDSINCE is not touched, and reported.
    if (unchanged_since && r.info.modseq > *unchanged_since) {
      out.modified.push_back(r.info.uid);
      continue;
    }
    auto next = apply_flags(r.info.flags, mode, *given);
    if (next == r.info.flags) continue;  // no change, no new modseq (RFC 7162 §3.2)
    auto res = up->bind_all(r.id, join_flags(next), has_flag(next, "\\Seen"), has_flag(next, "\\Deleted"), modseq).run();
    if (!res) return res.error();
    r.info.flags = std::move(next);
    r.info.modseq = modseq;
    out.updated.push_back(std::move(r.info));
  }
  if (!out.updated.empty()) {
    auto mb = conn.prepare("UPDATE mail_mailboxes SET highestmodseq = ?2 WHERE id = ?1");
    if (!mb) return mb.error();
    if (auto r = mb->bind_all(m->id, modseq).run(); !r) return r.error();
  }
  if (auto r = t->commit(); !r) return r.error();
  if (!out.updated.empty()) publish("mail.changed", a->address, m->name);
  return out;
}

result<changes> sqlite_store::changes_since(std::string_view account, std::string_view mailbox, std::uint64_t since) {
  auto a = prepare(account);
  if (!a) return a.error();
  auto c = db_.try_get();
  if (!c) return c.error();
  auto& conn = **c;
  // One read transaction so that the messages, the log and HIGHESTMODSEQ agree.
  auto begin = conn.exec("BEGIN");
  if (!begin) return begin.error();
  struct end_read {
    db::connection& c;
    ~end_read() { (void)c.exec("COMMIT"); }
  } guard{conn};
  auto m = need_mailbox(conn, a->address, mailbox);
  if (!m) return m.error();
  changes out;
  out.highestmodseq = m->highestmodseq;
  auto st = conn.prepare(
      "SELECT id, uid, modseq, flags, internal_date, size, blob_id, save_date FROM mail_messages "
      "WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid");
  if (!st) return st.error();
  st->bind_all(m->id, static_cast<std::int64_t>(since));
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    out.changed.push_back(read_message(*st).info);
  }
  auto ex = conn.prepare("SELECT uid FROM mail_expunged WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid");
  if (!ex) return ex.error();
  ex->bind_all(m->id, static_cast<std::int64_t>(since));
  for (;;) {
    auto row = ex->step();
    if (!row) return row.error();
    if (!*row) break;
    out.vanished.push_back(static_cast<std::uint32_t>(ex->column_int64(0)));
  }
  return out;
}

}  // namespace hearth::mail
