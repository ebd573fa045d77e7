// A write's commit: its event and, for an IMAP command, the refresh that follows it
// (refresh_scope.hpp), read in the commit's round trip on PostgreSQL.
#include <algorithm>

#include "core/sql/pipeline.hpp"
#include "directory/address.hpp"
#include "mail/store/refresh_scope.hpp"
#include "mail/store/sql_store.hpp"

namespace hearth::mail {

struct refresh_scope::state {
  sql_store::expected_refresh want;
  sql_store::expected_refresh* outer = nullptr;
};

thread_local sql_store::expected_refresh* sql_store::expected_ = nullptr;

refresh_scope::refresh_scope(store& s, std::string_view account, std::string_view mailbox, std::uint64_t since) {
  auto* sql = dynamic_cast<sql_store*>(&s);
  if (!sql || sql->db_->kind() != sql::engine::postgres) return;
  auto address = directory::normalize_address(account);
  auto name = canonical_mailbox_name(mailbox);
  if (!address || !name) return;
  state_ = std::make_unique<state>();
  state_->want = {sql, std::move(*address), std::move(*name), since, std::nullopt};
  state_->outer = sql_store::expected_;
  sql_store::expected_ = &state_->want;
}

refresh_scope::~refresh_scope() {
  if (!state_) return;
  sql_store::expected_ = state_->outer;
  // A rider that has not gone (the command made no read after leaving it) must not go with a
  // later command's read.
  if (state_->want.riding)
    if (auto c = state_->want.store->db_->try_get(); c) (void)sql::take_ride(**c);
}

const std::string& sql_store::changes_sql() {
  // Every IMAP command ends by asking this for the selected mailbox, so it is one statement
  // (one round trip on PostgreSQL): the mailbox's HIGHESTMODSEQ (kind 0), the messages changed
  // (1) and the expunge log (2) read together agree without a read transaction, since one
  // statement sees one snapshot on both engines. The CASTs give PostgreSQL the UNION's types.
  // No ORDER BY: on SQLite it costs two temporary b-trees on every run (the modseq indexes give
  // the rows by modseq, not by uid), for a result that is nearly always the mailbox row alone;
  // changes_from puts the few rows in uid order.
  static const std::string sql =
      "SELECT 0, b.highestmodseq, 0, CAST(NULL AS TEXT), 0, 0, CAST(NULL AS TEXT), CAST(NULL AS BIGINT) "
      "FROM mail_mailboxes b WHERE b.account = ?1 AND b.name = ?2 "
      "UNION ALL "
      "SELECT 1, m.uid, m.modseq, m.flags, m.internal_date, m.size, m.blob_id, m.save_date "
      "FROM mail_mailboxes b JOIN mail_messages m ON m.mailbox_id = b.id "
      "WHERE b.account = ?1 AND b.name = ?2 AND m.modseq > ?3 "
      "UNION ALL "
      "SELECT 2, e.uid, e.modseq, CAST(NULL AS TEXT), 0, 0, CAST(NULL AS TEXT), CAST(NULL AS BIGINT) "
      "FROM mail_mailboxes b JOIN mail_expunged e ON e.mailbox_id = b.id "
      "WHERE b.account = ?1 AND b.name = ?2 AND e.modseq > ?3";
  return sql;
}

result<sql_store::read_changes> sql_store::changes_from(const sql::rows& r, std::string_view name) {
  read_changes out;
  bool found = false;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> vanished;  // uid, modseq
  for (int i = 0; i < r.size(); ++i) {
    const auto kind = r.int64(i, 0);
    if (kind == 0) {
      found = true;
      out.ch.highestmodseq = static_cast<std::uint64_t>(r.int64(i, 1));
      continue;
    }
    if (kind == 2) {
      vanished.emplace_back(static_cast<std::uint32_t>(r.int64(i, 1)), static_cast<std::uint64_t>(r.int64(i, 2)));
      continue;
    }
    message_info m;
    m.uid = static_cast<std::uint32_t>(r.int64(i, 1));
    m.modseq = static_cast<std::uint64_t>(r.int64(i, 2));
    m.flags = split_flags(r.text(i, 3));
    m.internal_date = r.int64(i, 4);
    m.size = static_cast<std::uint64_t>(r.int64(i, 5));
    m.blob_id = r.text(i, 6);
    m.save_date = r.opt_int64(i, 7);
    out.ch.changed.push_back(std::move(m));
  }
  if (!found) return fail("mail.no_mailbox", "no such mailbox: " + std::string(name));
  // Callers take the changed messages and the expunged uids in uid order (a new message is one
  // above the view's last uid).
  std::sort(out.ch.changed.begin(), out.ch.changed.end(),
            [](const message_info& a, const message_info& b) { return a.uid < b.uid; });
  std::sort(vanished.begin(), vanished.end());
  for (const auto& [uid, modseq] : vanished) {
    out.ch.vanished.push_back(uid);
    out.vanished_modseqs.push_back(modseq);
  }
  return out;
}

sql_store::expected_refresh* sql_store::expected_for(std::string_view account, std::string_view mailbox) const {
  auto* e = expected_;
  if (!e || e->store != this || e->account != account || e->mailbox != mailbox) return nullptr;
  return e;
}

std::optional<changes> sql_store::take_expected(sql::connection& c, std::string_view account, std::string_view mailbox,
                                                std::uint64_t since) {
  auto* e = expected_for(account, mailbox);
  if (!e) return std::nullopt;
  e->answered = true;  // the statements after the refresh (a \Recent claim) carry nothing
  if (e->riding) {
    e->riding = false;
    auto ridden = sql::take_ride(c);
    if (ridden && !e->got)
      if (auto got = changes_from(*ridden, e->mailbox)) e->got = std::move(*got);
  }
  if (!e->got || since < e->since) return std::nullopt;
  auto got = std::move(*e->got);
  e->got.reset();
  // What a read from `since` would have returned: the same rows less those at or below it.
  changes out;
  out.highestmodseq = got.ch.highestmodseq;
  for (auto& m : got.ch.changed)
    if (m.modseq > since) out.changed.push_back(std::move(m));
  for (std::size_t i = 0; i < got.ch.vanished.size(); ++i)
    if (got.vanished_modseqs[i] > since) out.vanished.push_back(got.ch.vanished[i]);
  return out;
}

result<void> sql_store::commit_write(write_txn& w, const mailbox_row& m, std::string_view topic) {
  events::event ev{std::string(topic), w.account.address, m.name};
  bool carried = false;
  if (bus_ && w.durability == sql::durability::normal)
    if (auto n = bus_->carry(ev)) {
      auto q = sql::queue_notify(*w.conn, n->channel, n->payload);
      if (!q) return q.error();
      carried = *q;
    }
  auto* want = w.conn->kind() == sql::engine::postgres ? expected_for(w.account.address, m.name) : nullptr;
  if (want) {
    want->got.reset();
    const sql::statement read{changes_sql(),
                              {sql::to_value(w.account.address), sql::to_value(m.name), sql::to_value(want->since)}};
    auto r = sql::commit_with(*w.conn, w.tx, read);
    if (!r) return r.error();
    if (auto c = changes_from(*r, m.name)) want->got = std::move(*c);
  } else if (auto r = w.tx.commit(); !r) {
    return r.error();
  }
  if (bus_) {
    if (carried) bus_->publish_carried(ev);
    else bus_->publish(ev);
  }
  return {};
}

}  // namespace hearth::mail
