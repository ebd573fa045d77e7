// COPY, MOVE and EXPUNGE, and the row helpers they share with RENAME INBOX.
#include "mail/store/sqlite_store.hpp"

namespace hearth::mail {

result<copy_result> sqlite_store::copy_rows(db::connection& c, const std::string& account,
                                            const std::vector<message_row>& rows, mailbox_row& target) {
  copy_result out;
  out.uidvalidity = target.uidvalidity;
  if (rows.empty()) return out;
  if (static_cast<std::uint64_t>(target.uidnext) + rows.size() >= uid_max)
    return fail("mail.invalid", "target mailbox has used every UID");
  std::uint64_t modseq = target.highestmodseq + 1;
  auto ins = c.prepare(
      "INSERT INTO mail_messages(mailbox_id, account, uid, modseq, flags, seen, deleted, internal_date, size, blob_id, "
      "save_date) SELECT ?1, ?2, ?3, ?4, flags, seen, deleted, internal_date, size, blob_id, ?6 FROM mail_messages "
      "WHERE id = ?5");
  if (!ins) return ins.error();
  // RFC 8514 §4.1: a copy or a moved message is saved now, whatever its source's save date.
  const std::int64_t saved = unix_now();
  // RFC 4315 §3: COPYUID lists source and new uids in the same order; ours ascend together.
  for (auto& r : rows) {
    std::uint32_t uid = target.uidnext++;
    if (auto res = ins->bind_all(target.id, account, uid, modseq, r.id, saved).run(); !res) return res.error();
    out.uids.emplace_back(r.info.uid, uid);
  }
  target.highestmodseq = modseq;
  auto up = c.prepare("UPDATE mail_mailboxes SET uidnext = ?2, highestmodseq = ?3 WHERE id = ?1");
  if (!up) return up.error();
  if (auto res = up->bind_all(target.id, target.uidnext, modseq).run(); !res) return res.error();
  return out;
}

result<std::uint64_t> sqlite_store::expunge_rows(db::connection& c, mailbox_row& mbox,
                                                 const std::vector<message_row>& rows) {
  if (rows.empty()) return mbox.highestmodseq;
  std::uint64_t modseq = mbox.highestmodseq + 1;
  auto del = c.prepare("DELETE FROM mail_messages WHERE id = ?1");
  // RFC 7162 §3.2.5.2 (QRESYNC VANISHED): remember each expunged uid with its modseq.
  auto log = c.prepare("INSERT OR REPLACE INTO mail_expunged(mailbox_id, uid, modseq) VALUES(?1, ?2, ?3)");
  if (!del) return del.error();
  if (!log) return log.error();
  for (auto& r : rows) {
    if (auto res = del->bind(1, r.id).run(); !res) return res.error();
    if (auto res = log->bind_all(mbox.id, r.info.uid, modseq).run(); !res) return res.error();
  }
  mbox.highestmodseq = modseq;
  auto up = c.prepare("UPDATE mail_mailboxes SET highestmodseq = ?2 WHERE id = ?1");
  if (!up) return up.error();
  if (auto res = up->bind_all(mbox.id, modseq).run(); !res) return res.error();
  return modseq;
}

result<copy_result> sqlite_store::copy(std::string_view account, std::string_view from, const uid_set& uids,
                                       std::string_view to) {
  if (auto r = check_uid_set(uids); !r) return r.error();
  auto w = begin_write(account);
  if (!w) return w.error();
  auto* a = &w->account;
  auto& conn = *w->conn;
  auto* t = &w->tx;
  auto src = need_mailbox(conn, a->address, from);
  if (!src) return src.error();
  auto dst = need_mailbox(conn, a->address, to);
  if (!dst) return dst.error();
  auto rows = select_messages(conn, src->id, uids);
  if (!rows) return rows.error();
  if (a->quota) {
    std::uint64_t added = 0;
    for (auto& r : *rows) added += r.info.size;
    auto u = usage_in(conn, *a);
    if (!u) return u.error();
    if (added && u->used_bytes + added > a->quota) return fail("mail.quota", "quota exceeded for " + a->address);
  }
  auto out = copy_rows(conn, a->address, *rows, *dst);
  if (!out) return out.error();
  if (auto r = t->commit(); !r) return r.error();
  if (!out->uids.empty()) publish("mail.new", a->address, dst->name);
  return out;
}

result<copy_result> sqlite_store::move(std::string_view account, std::string_view from, const uid_set& uids,
                                       std::string_view to) {
  if (auto r = check_uid_set(uids); !r) return r.error();
  auto w = begin_write(account);
  if (!w) return w.error();
  auto* a = &w->account;
  auto& conn = *w->conn;
  auto* t = &w->tx;
  auto src = need_mailbox(conn, a->address, from);
  if (!src) return src.error();
  auto dst = need_mailbox(conn, a->address, to);
  if (!dst) return dst.error();
  auto rows = select_messages(conn, src->id, uids);
  if (!rows) return rows.error();
  // One transaction: a crash never leaves the message in both mailboxes or in neither.
  auto out = copy_rows(conn, a->address, *rows, *dst);
  if (!out) return out.error();
  // RFC 6851 §3.3: MOVE within one mailbox is allowed (Dovecot gives the messages new uids);
  // the expunge then continues from the target row, whose uidnext and modseq copy_rows advanced.
  auto& origin = src->id == dst->id ? *dst : *src;
  if (auto ex = expunge_rows(conn, origin, *rows); !ex) return ex.error();
  if (auto r = t->commit(); !r) return r.error();
  if (!out->uids.empty()) {
    publish("mail.new", a->address, dst->name);
    publish("mail.changed", a->address, src->name);
  }
  return out;
}

result<expunge_result> sqlite_store::expunge(std::string_view account, std::string_view mailbox,
                                             const std::optional<uid_set>& uids) {
  if (uids)
    if (auto r = check_uid_set(*uids); !r) return r.error();
  auto a = prepare(account);
  if (!a) return a.error();
  auto c = db_.try_get();
  if (!c) return c.error();
  auto& conn = **c;
  expunge_result out;
  std::set<std::string> blobs;
  std::string name;
  {
    // Not fsync'd, as in Dovecot's default: after a power loss an expunged message may come
    // back (never one that was lost). Its blob goes only once a later commit is durable.
    auto t = db::transaction::begin(conn, db::durability::normal);
    if (!t) return t.error();
    auto m = need_mailbox(conn, a->address, mailbox);
    if (!m) return m.error();
    name = m->name;
    auto rows = select_messages(conn, m->id, uids ? *uids : uid_set{{1, uid_max}});
    if (!rows) return rows.error();
    std::vector<message_row> doomed;
    for (auto& r : *rows) {
      if (!has_flag(r.info.flags, "\\Deleted")) continue;
      out.uids.push_back(r.info.uid);
      blobs.insert(r.info.blob_id);
      doomed.push_back(std::move(r));
    }
    auto modseq = expunge_rows(conn, *m, doomed);
    if (!modseq) return modseq.error();
    out.modseq = *modseq;
    if (auto r = t->commit(); !r) return r.error();
  }
  // The rows are gone, but not yet durably: the blobs wait for a durable commit (store.hpp).
  defer_garbage(blobs);
  if (!out.uids.empty()) publish("mail.changed", a->address, name);
  return out;
}

}  // namespace hearth::mail
