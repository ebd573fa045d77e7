#include "app/cmd_migrate_state.hpp"

namespace hearth::app::migrate {
namespace {

const db::migration migrations[] = {
    {1, "migration state",
     "CREATE TABLE migrate_done(source TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL,"
     " uid INTEGER NOT NULL, PRIMARY KEY(source, folder, uidvalidity, uid)) WITHOUT ROWID;"
     "CREATE TABLE migrate_copies(account TEXT NOT NULL, mailbox TEXT NOT NULL, key TEXT NOT NULL,"
     " uid INTEGER NOT NULL, PRIMARY KEY(account, mailbox, uid)) WITHOUT ROWID;"
     "CREATE TABLE migrate_marks(account TEXT NOT NULL, mailbox TEXT NOT NULL, uidvalidity INTEGER NOT NULL,"
     " last_uid INTEGER NOT NULL, PRIMARY KEY(account, mailbox)) WITHOUT ROWID;"},
};

}  // namespace

result<std::unique_ptr<state>> state::open(const std::filesystem::path& file) {
  auto c = db::connection::open(file);
  if (!c) return c.error();
  if (auto v = db::migrate(*c, "migrate", migrations); !v) return v.error();
  return std::unique_ptr<state>(new state(std::move(*c)));
}

result<std::unordered_set<std::uint32_t>> state::done(const std::string& source, const std::string& folder,
                                                       std::uint32_t uidvalidity) {
  std::lock_guard lock(m_);
  auto st = c_.prepare("SELECT uid FROM migrate_done WHERE source=?1 AND folder=?2 AND uidvalidity=?3");
  if (!st) return st.error();
  st->bind_all(source, folder, uidvalidity);
  std::unordered_set<std::uint32_t> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return out;
    out.insert(static_cast<std::uint32_t>(st->column_int64(0)));
  }
}

result<void> state::record(const std::string& account, const std::vector<copy_row>& copies, const std::string& source,
                           const std::string& folder, std::uint32_t uidvalidity, std::uint32_t uid) {
  std::lock_guard lock(m_);
  auto tx = db::transaction::begin(c_);
  if (!tx) return tx.error();
  for (const auto& c : copies) {
    auto st = c_.prepare("INSERT OR REPLACE INTO migrate_copies(account, mailbox, key, uid) VALUES(?1, ?2, ?3, ?4)");
    if (!st) return st.error();
    if (auto r = st->bind_all(account, c.mailbox, c.key, c.uid).run(); !r) return r.error();
  }
  auto st = c_.prepare("INSERT OR IGNORE INTO migrate_done(source, folder, uidvalidity, uid) VALUES(?1, ?2, ?3, ?4)");
  if (!st) return st.error();
  if (auto r = st->bind_all(source, folder, uidvalidity, uid).run(); !r) return r.error();
  return tx->commit();
}

result<std::vector<copy_row>> state::copies(const std::string& account) {
  std::lock_guard lock(m_);
  auto st = c_.prepare("SELECT mailbox, key, uid FROM migrate_copies WHERE account=?1");
  if (!st) return st.error();
  st->bind(1, account);
  std::vector<copy_row> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back({st->column_text(0), st->column_text(1), static_cast<std::uint32_t>(st->column_int64(2))});
  }
}

result<void> state::add_copies(const std::string& account, const std::vector<copy_row>& rows) {
  std::lock_guard lock(m_);
  auto tx = db::transaction::begin(c_);
  if (!tx) return tx.error();
  for (const auto& c : rows) {
    auto st = c_.prepare("INSERT OR REPLACE INTO migrate_copies(account, mailbox, key, uid) VALUES(?1, ?2, ?3, ?4)");
    if (!st) return st.error();
    if (auto r = st->bind_all(account, c.mailbox, c.key, c.uid).run(); !r) return r.error();
  }
  return tx->commit();
}

result<std::optional<std::pair<std::uint32_t, std::uint32_t>>> state::mark(const std::string& account,
                                                                           const std::string& mailbox) {
  std::lock_guard lock(m_);
  auto st = c_.prepare("SELECT uidvalidity, last_uid FROM migrate_marks WHERE account=?1 AND mailbox=?2");
  if (!st) return st.error();
  st->bind_all(account, mailbox);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::pair<std::uint32_t, std::uint32_t>>{};
  return std::optional<std::pair<std::uint32_t, std::uint32_t>>{
      std::pair{static_cast<std::uint32_t>(st->column_int64(0)), static_cast<std::uint32_t>(st->column_int64(1))}};
}

result<void> state::set_mark(const std::string& account, const std::string& mailbox, std::uint32_t uidvalidity,
                             std::uint32_t last_uid) {
  std::lock_guard lock(m_);
  auto st = c_.prepare(
      "INSERT OR REPLACE INTO migrate_marks(account, mailbox, uidvalidity, last_uid) VALUES(?1, ?2, ?3, ?4)");
  if (!st) return st.error();
  return st->bind_all(account, mailbox, uidvalidity, last_uid).run();
}

result<void> state::forget(const std::string& account, const std::string& mailbox) {
  std::lock_guard lock(m_);
  auto tx = db::transaction::begin(c_);
  if (!tx) return tx.error();
  for (const char* sql : {"DELETE FROM migrate_copies WHERE account=?1 AND mailbox=?2",
                          "DELETE FROM migrate_marks WHERE account=?1 AND mailbox=?2"}) {
    auto st = c_.prepare(sql);
    if (!st) return st.error();
    if (auto r = st->bind_all(account, mailbox).run(); !r) return r.error();
  }
  return tx->commit();
}

}  // namespace hearth::app::migrate
