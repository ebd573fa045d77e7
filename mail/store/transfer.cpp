// COPY, MOVE and EXPUNGE, and the row helpers they share with RENAME INBOX.
#include "core/sql/pipeline.hpp"
#include "mail/store/sql_store.hpp"

namespace hearth::mail {

result<copy_result> sql_store::copy_rows(sql::connection& c, const std::string& account,
                                         const std::vector<message_row>& rows, mailbox_row& target) {
  copy_result out;
  out.uidvalidity = target.uidvalidity;
  if (rows.empty()) return out;
  if (static_cast<std::uint64_t>(target.uidnext) + rows.size() >= uid_max)
    return fail("mail.invalid", "target mailbox has used every UID");
  std::uint64_t modseq = target.highestmodseq + 1;
  // RFC 8514 §4.1: a copy or a moved message is saved now, whatever its source's save date.
  const std::int64_t saved = unix_now();
  count_delta counts;
  // RFC 4315 §3: COPYUID lists source and new uids in the same order; ours ascend together.
  // The CASTs type the parameters of a SELECT list, which PostgreSQL cannot infer. Queued, as
  // is the mailbox row's UPDATE: on PostgreSQL they travel with the next statement or COMMIT.
  for (auto& r : rows) {
    std::uint32_t uid = target.uidnext++;
    if (auto res = sql::queue(c, 
            "INSERT INTO mail_messages(mailbox_id, account, uid, modseq, flags, seen, deleted, internal_date, size, "
            "blob_id, save_date) SELECT CAST(?1 AS BIGINT), CAST(?2 AS TEXT), CAST(?3 AS BIGINT), CAST(?4 AS BIGINT), "
            "flags, seen, deleted, internal_date, size, blob_id, CAST(?6 AS BIGINT) FROM mail_messages WHERE id = ?5",
            target.id, account, uid, modseq, r.id, saved);
        !res)
      return res.error();
    out.uids.emplace_back(r.info.uid, uid);
    out.blobs.push_back({r.info.blob_id, r.info.size});
    counts.add(r.info, +1);
  }
  target.highestmodseq = modseq;
  if (auto res = sql::queue(c, "UPDATE mail_mailboxes SET uidnext = ?2, highestmodseq = ?3, msg_count = msg_count + ?4, "
                         "unseen_count = unseen_count + ?5, deleted_count = deleted_count + ?6, "
                         "bytes_total = bytes_total + ?7 WHERE id = ?1",
                         target.id, target.uidnext, modseq, counts.messages, counts.unseen, counts.deleted,
                         counts.bytes);
      !res)
    return res.error();
  return out;
}

result<std::uint64_t> sql_store::expunge_rows(sql::connection& c, mailbox_row& mbox, const std::vector<message_row>& rows) {
  if (rows.empty()) return mbox.highestmodseq;
  std::uint64_t modseq = mbox.highestmodseq + 1;
  count_delta counts;
  // Queued: on PostgreSQL these travel with the transaction's next statement or its COMMIT.
  for (auto& r : rows) {
    counts.add(r.info, -1);
    if (auto res = sql::queue(c, "DELETE FROM mail_messages WHERE id = ?1", r.id); !res) return res.error();
    // RFC 7162 §3.2.5.2 (QRESYNC VANISHED): remember each expunged uid with its modseq.
    if (auto res = sql::queue(c, "INSERT INTO mail_expunged(mailbox_id, uid, modseq) VALUES(?1, ?2, ?3) "
                           "ON CONFLICT(mailbox_id, uid) DO UPDATE SET modseq = excluded.modseq",
                           mbox.id, r.info.uid, modseq);
        !res)
      return res.error();
  }
  mbox.highestmodseq = modseq;
  if (auto res = sql::queue(c, "UPDATE mail_mailboxes SET highestmodseq = ?2, msg_count = msg_count + ?3, "
                         "unseen_count = unseen_count + ?4, deleted_count = deleted_count + ?5, "
                         "bytes_total = bytes_total + ?6 WHERE id = ?1",
                         mbox.id, modseq, counts.messages, counts.unseen, counts.deleted, counts.bytes);
      !res)
    return res.error();
  return modseq;
}

result<copy_result> sql_store::copy(std::string_view account, std::string_view from, const uid_set& uids,
                                    std::string_view to) {
  if (auto r = check_uid_set(uids); !r) return r.error();
  auto w = begin_write(account, {.mailbox = from, .mailbox2 = to, .adds = true}, sql::durability::full, true);
  if (!w) return w.error();
  auto& conn = *w->conn;
  const auto& a = w->account;
  auto src = need_mailbox(conn, a.address, from);
  if (!src) return src.error();
  auto dst = need_mailbox(conn, a.address, to);
  if (!dst) return dst.error();
  auto rows = select_messages(conn, src->id, uids);
  if (!rows) return rows.error();
  if (a.quota) {
    std::uint64_t added = 0;
    for (auto& r : *rows) added += r.info.size;
    auto u = usage_in(conn, a);
    if (!u) return u.error();
    if (added && u->used_bytes + added > a.quota) return fail("mail.quota", "quota exceeded for " + a.address);
  }
  auto out = copy_rows(conn, a.address, *rows, *dst);
  if (!out) return out.error();
  if (auto r = w->tx.commit(); !r) return r.error();
  if (!out->uids.empty()) publish("mail.new", a.address, dst->name);
  return out;
}

result<copy_result> sql_store::move(std::string_view account, std::string_view from, const uid_set& uids,
                                    std::string_view to) {
  if (auto r = check_uid_set(uids); !r) return r.error();
  auto w = begin_write(account, {.mailbox = from, .mailbox2 = to});
  if (!w) return w.error();
  auto& conn = *w->conn;
  const auto& a = w->account;
  auto src = need_mailbox(conn, a.address, from);
  if (!src) return src.error();
  auto dst = need_mailbox(conn, a.address, to);
  if (!dst) return dst.error();
  auto rows = select_messages(conn, src->id, uids);
  if (!rows) return rows.error();
  // One transaction: a crash never leaves the message in both mailboxes or in neither.
  auto out = copy_rows(conn, a.address, *rows, *dst);
  if (!out) return out.error();
  // RFC 6851 §3.3: MOVE within one mailbox is allowed (Dovecot gives the messages new uids);
  // the expunge then continues from the target row, whose uidnext and modseq copy_rows advanced.
  auto& origin = src->id == dst->id ? *dst : *src;
  if (auto ex = expunge_rows(conn, origin, *rows); !ex) return ex.error();
  if (auto r = w->tx.commit(); !r) return r.error();
  if (!out->uids.empty()) {
    publish("mail.new", a.address, dst->name);
    publish("mail.changed", a.address, src->name);
  }
  return out;
}

result<expunge_result> sql_store::expunge(std::string_view account, std::string_view mailbox,
                                          const std::optional<uid_set>& uids) {
  if (uids)
    if (auto r = check_uid_set(*uids); !r) return r.error();
  expunge_result out;
  std::set<std::string> blobs;
  // Nothing marked \Deleted (another session expunged it first): answered from a plain read,
  // without waiting for the write lock. Not on PostgreSQL, where the transaction's own read
  // answers it in one round trip as well (see store_flags).
  if (db_->kind() != sql::engine::postgres) {
    auto rd = begin_read(account);
    if (!rd) return rd.error();
    auto doomed = select_in_mailbox(*rd->conn, rd->account.address, mailbox, uids ? *uids : uid_set{{1, uid_max}}, true);
    if (!doomed) return doomed.error();
    if (doomed->second.empty()) {
      out.modseq = doomed->first.highestmodseq;
      return out;
    }
  }
  {
    // Not fsync'd, as in Dovecot's default: after a power loss an expunged message may come
    // back (never one that was lost). Its blob goes only once a later commit is durable.
    auto w = begin_write(account, {.mailbox = mailbox}, sql::durability::normal);
    if (!w) return w.error();
    auto& conn = *w->conn;
    auto sel = select_in_mailbox(conn, w->account.address, mailbox, uids ? *uids : uid_set{{1, uid_max}}, true);
    if (!sel) return sel.error();
    auto* m = &sel->first;
    auto* rows = &sel->second;
    std::vector<message_row> doomed;
    for (auto& r : *rows) {
      if (!has_flag(r.info.flags, "\\Deleted")) continue;
      out.uids.push_back(r.info.uid);
      blobs.insert(r.info.blob_id);
      doomed.push_back(std::move(r));
    }
    if (doomed.empty()) {  // nothing written: rolled back
      out.modseq = m->highestmodseq;
      return out;
    }
    auto modseq = expunge_rows(conn, *m, doomed);
    if (!modseq) return modseq.error();
    out.modseq = *modseq;
    if (auto r = commit_write(*w, *m, "mail.changed"); !r) return r.error();
  }
  // The rows are gone, but not yet durably: the blobs wait for a durable commit (store.hpp).
  defer_garbage(blobs);
  return out;
}

}  // namespace hearth::mail
