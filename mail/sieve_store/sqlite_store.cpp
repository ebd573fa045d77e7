// The SQLite implementation of sieve_store::store, in the directory's database file so that the
// scripts can refer to the directory's accounts (ON DELETE CASCADE: they go with the account).
#include <algorithm>

#include "core/db/db.hpp"
#include "core/log/log.hpp"
#include "directory/address.hpp"
#include "mail/sieve_store/store.hpp"

namespace hearth::mail::sieve_store {
namespace {

constexpr db::migration migrations[] = {
    {1, "sieve scripts, global scripts, vacation and duplicate memory", R"sql(
CREATE TABLE sieve_scripts(
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  content BLOB NOT NULL,
  active INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL,
  UNIQUE(account_id, name)
);
CREATE UNIQUE INDEX sieve_scripts_one_active ON sieve_scripts(account_id) WHERE active = 1;
CREATE TABLE sieve_global_scripts(
  name TEXT PRIMARY KEY,
  content BLOB NOT NULL,
  updated INTEGER NOT NULL
);
CREATE TABLE sieve_memory(
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  expires INTEGER NOT NULL,
  PRIMARY KEY(account_id, kind, key)
) WITHOUT ROWID;
CREATE INDEX sieve_memory_expires ON sieve_memory(expires);
)sql"},
};

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string_view as_text(const std::vector<std::uint8_t>& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

class sqlite_store final : public store {
 public:
  sqlite_store(db::database d, quota q) : store(q), db_(std::move(d)) {}

  result<std::vector<script_info>> list(std::string_view account) override {
    auto& c = db_.get();
    auto id = account_id(c, account);
    if (!id) return id.error();
    return list_of(c, *id);
  }

  result<std::string> get(std::string_view account, std::string_view name) override {
    auto& c = db_.get();
    auto id = account_id(c, account);
    if (!id) return id.error();
    auto st = c.prepare("SELECT content FROM sieve_scripts WHERE account_id = ?1 AND name = ?2");
    if (!st) return st.error();
    st->bind_all(*id, name);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return fail("sieve.not_found", "no script named " + std::string(name));
    return std::string(as_text(st->column_blob(0)));
  }

  result<void> check_space(std::string_view account, std::string_view name, std::uint64_t size) override {
    if (!valid_name(name)) return fail("sieve.invalid", "invalid script name");
    auto& c = db_.get();
    auto id = account_id(c, account);
    if (!id) return id.error();
    return fits(c, *id, name, size);
  }

  result<void> put(std::string_view account, std::string_view name, std::string_view content) override {
    if (!valid_name(name)) return fail("sieve.invalid", "invalid script name");
    auto& c = db_.get();
    auto tx = db::transaction::begin(c, db::durability::full);
    if (!tx) return tx.error();
    auto id = account_id(c, account);
    if (!id) return id.error();
    if (auto f = fits(c, *id, name, content.size()); !f) return f;
    auto st = c.prepare(
        "INSERT INTO sieve_scripts(account_id, name, content, updated) VALUES(?1, ?2, ?3, ?4) "
        "ON CONFLICT(account_id, name) DO UPDATE SET content = excluded.content, updated = excluded.updated");
    if (!st) return st.error();
    st->bind(1, *id).bind(2, name).bind(3, as_bytes(content)).bind(4, now_seconds());
    if (auto r = st->run(); !r) return r;
    return tx->commit();
  }

  result<void> set_active(std::string_view account, std::optional<std::string_view> name) override {
    auto& c = db_.get();
    auto tx = db::transaction::begin(c, db::durability::full);
    if (!tx) return tx.error();
    auto id = account_id(c, account);
    if (!id) return id.error();
    if (name) {
      auto e = exists(c, *id, *name);
      if (!e) return e.error();
      if (!*e) return fail("sieve.not_found", "no script named " + std::string(*name));
    }
    auto off = c.prepare("UPDATE sieve_scripts SET active = 0 WHERE account_id = ?1 AND active = 1");
    if (!off) return off.error();
    off->bind(1, *id);
    if (auto r = off->run(); !r) return r;
    if (name) {
      auto on = c.prepare("UPDATE sieve_scripts SET active = 1 WHERE account_id = ?1 AND name = ?2");
      if (!on) return on.error();
      on->bind_all(*id, *name);
      if (auto r = on->run(); !r) return r;
    }
    return tx->commit();
  }

  result<void> remove(std::string_view account, std::string_view name) override {
    auto& c = db_.get();
    auto tx = db::transaction::begin(c, db::durability::full);
    if (!tx) return tx.error();
    auto id = account_id(c, account);
    if (!id) return id.error();
    auto st = c.prepare("SELECT active FROM sieve_scripts WHERE account_id = ?1 AND name = ?2");
    if (!st) return st.error();
    st->bind_all(*id, name);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return fail("sieve.not_found", "no script named " + std::string(name));
    // RFC 5804 §2.10: deleting the active script is refused.
    if (st->column_int64(0) != 0) return fail("sieve.active", "the script is active");
    st->reset();
    auto del = c.prepare("DELETE FROM sieve_scripts WHERE account_id = ?1 AND name = ?2");
    if (!del) return del.error();
    del->bind_all(*id, name);
    if (auto r = del->run(); !r) return r;
    return tx->commit();
  }

  result<void> rename(std::string_view account, std::string_view from, std::string_view to) override {
    if (!valid_name(to)) return fail("sieve.invalid", "invalid script name");
    auto& c = db_.get();
    auto tx = db::transaction::begin(c, db::durability::full);
    if (!tx) return tx.error();
    auto id = account_id(c, account);
    if (!id) return id.error();
    auto src = exists(c, *id, from);
    if (!src) return src.error();
    if (!*src) return fail("sieve.not_found", "no script named " + std::string(from));
    auto dst = exists(c, *id, to);
    if (!dst) return dst.error();
    if (*dst) return fail("sieve.exists", "a script named " + std::string(to) + " exists");
    auto st = c.prepare("UPDATE sieve_scripts SET name = ?3, updated = ?4 WHERE account_id = ?1 AND name = ?2");
    if (!st) return st.error();
    st->bind_all(*id, from, to, now_seconds());
    if (auto r = st->run(); !r) return r;
    return tx->commit();
  }

  result<std::optional<script>> active(std::string_view account) override {
    auto& c = db_.get();
    auto id = account_id(c, account);
    if (!id) return id.error();
    auto st = c.prepare("SELECT name, content FROM sieve_scripts WHERE account_id = ?1 AND active = 1");
    if (!st) return st.error();
    st->bind(1, *id);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return std::optional<script>();
    return std::optional<script>(script{st->column_text(0), std::string(as_text(st->column_blob(1)))});
  }

  result<std::vector<script_info>> global_list() override {
    auto& c = db_.get();
    auto st = c.prepare("SELECT name, length(content) FROM sieve_global_scripts ORDER BY name");
    if (!st) return st.error();
    std::vector<script_info> out;
    for (;;) {
      auto row = st->step();
      if (!row) return row.error();
      if (!*row) break;
      out.push_back({st->column_text(0), false, static_cast<std::uint64_t>(st->column_int64(1))});
    }
    return out;
  }

  result<std::optional<std::string>> global_get(std::string_view name) override {
    auto& c = db_.get();
    auto st = c.prepare("SELECT content FROM sieve_global_scripts WHERE name = ?1");
    if (!st) return st.error();
    st->bind(1, name);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return std::optional<std::string>();
    return std::optional<std::string>(std::string(as_text(st->column_blob(0))));
  }

  result<void> global_put(std::string_view name, std::string_view content) override {
    if (!valid_name(name)) return fail("sieve.invalid", "invalid script name");
    auto& c = db_.get();
    auto tx = db::transaction::begin(c, db::durability::full);
    if (!tx) return tx.error();
    auto st = c.prepare(
        "INSERT INTO sieve_global_scripts(name, content, updated) VALUES(?1, ?2, ?3) "
        "ON CONFLICT(name) DO UPDATE SET content = excluded.content, updated = excluded.updated");
    if (!st) return st.error();
    st->bind(1, name).bind(2, as_bytes(content)).bind(3, now_seconds());
    if (auto r = st->run(); !r) return r;
    return tx->commit();
  }

  result<void> global_remove(std::string_view name) override {
    auto& c = db_.get();
    auto tx = db::transaction::begin(c, db::durability::full);
    if (!tx) return tx.error();
    auto st = c.prepare("DELETE FROM sieve_global_scripts WHERE name = ?1");
    if (!st) return st.error();
    st->bind(1, name);
    if (auto r = st->run(); !r) return r;
    if (c.changes() == 0) return fail("sieve.not_found", "no global script named " + std::string(name));
    return tx->commit();
  }

  result<bool> remember(std::string_view account, std::string_view kind, std::string_view key, std::int64_t now,
                        std::int64_t period) override {
    auto& c = db_.get();
    auto tx = db::transaction::begin(c, db::durability::full);
    if (!tx) return tx.error();
    auto id = account_id(c, account);
    if (!id) return id.error();
    auto old = c.prepare("DELETE FROM sieve_memory WHERE expires <= ?1");
    if (!old) return old.error();
    old->bind(1, now);
    if (auto r = old->run(); !r) return r.error();
    auto seen = is_remembered(c, *id, kind, key, now);
    if (!seen) return seen.error();
    if (*seen) return true;
    auto st = c.prepare("INSERT OR REPLACE INTO sieve_memory(account_id, kind, key, expires) VALUES(?1, ?2, ?3, ?4)");
    if (!st) return st.error();
    st->bind_all(*id, kind, key, now + std::max<std::int64_t>(period, 1));
    if (auto r = st->run(); !r) return r.error();
    if (auto r = tx->commit(); !r) return r.error();
    return false;
  }

  result<bool> remembered(std::string_view account, std::string_view kind, std::string_view key,
                          std::int64_t now) override {
    auto& c = db_.get();
    auto id = account_id(c, account);
    if (!id) return id.error();
    return is_remembered(c, *id, kind, key, now);
  }

 private:
  result<std::int64_t> account_id(db::connection& c, std::string_view account) {
    auto addr = directory::normalize_address(account);
    if (!addr) return fail("sieve.invalid", "not a valid address");
    auto st = c.prepare("SELECT id FROM accounts WHERE address = ?1");
    if (!st) return st.error();
    st->bind(1, *addr);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return fail("sieve.no_account", "no account " + *addr);
    return st->column_int64(0);
  }

  result<bool> exists(db::connection& c, std::int64_t id, std::string_view name) {
    auto st = c.prepare("SELECT 1 FROM sieve_scripts WHERE account_id = ?1 AND name = ?2");
    if (!st) return st.error();
    st->bind_all(id, name);
    auto row = st->step();
    if (!row) return row.error();
    return *row;
  }

  result<bool> is_remembered(db::connection& c, std::int64_t id, std::string_view kind, std::string_view key,
                             std::int64_t now) {
    auto st = c.prepare("SELECT expires FROM sieve_memory WHERE account_id = ?1 AND kind = ?2 AND key = ?3");
    if (!st) return st.error();
    st->bind_all(id, kind, key);
    auto row = st->step();
    if (!row) return row.error();
    return *row && st->column_int64(0) > now;
  }

  result<std::vector<script_info>> list_of(db::connection& c, std::int64_t id) {
    auto st = c.prepare("SELECT name, active, length(content) FROM sieve_scripts WHERE account_id = ?1 ORDER BY name");
    if (!st) return st.error();
    st->bind(1, id);
    std::vector<script_info> out;
    for (;;) {
      auto row = st->step();
      if (!row) return row.error();
      if (!*row) break;
      out.push_back({st->column_text(0), st->column_int64(1) != 0, static_cast<std::uint64_t>(st->column_int64(2))});
    }
    return out;
  }

  result<void> fits(db::connection& c, std::int64_t id, std::string_view name, std::uint64_t size) {
    if (size > quota_.max_script_bytes)
      return fail("sieve.quota_size", "a script may have at most " + std::to_string(quota_.max_script_bytes) + " octets");
    auto all = list_of(c, id);
    if (!all) return all.error();
    std::uint64_t total = size;
    std::size_t count = 1;
    for (const auto& s : *all) {
      if (s.name == name) continue;  // replaced
      total += s.size;
      ++count;
    }
    if (count > quota_.max_scripts)
      return fail("sieve.quota_scripts", "at most " + std::to_string(quota_.max_scripts) + " scripts");
    if (total > quota_.max_total_bytes)
      return fail("sieve.quota_size", "scripts may have at most " + std::to_string(quota_.max_total_bytes) + " octets in all");
    return {};
  }

  db::database db_;
};

}  // namespace

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > max_name_bytes) return false;
  // RFC 5804 §1.6: UTF-8, no control characters (0000-001F, 007F-009F), no U+2028/U+2029.
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    std::size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (len == 0 || c > 0xf4 || i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    auto c1 = static_cast<unsigned char>(s[i + 1 < s.size() ? i + 1 : i]);
    if (len == 2 && c == 0xc2 && c1 < 0xa0) return false;                     // C1 controls
    if (len == 3 && c == 0xe0 && c1 < 0xa0) return false;                     // overlong
    if (len == 3 && c == 0xed && c1 >= 0xa0) return false;                    // surrogates
    if (len == 3 && c == 0xe2 && c1 == 0x80 && i + 2 < s.size() &&
        (static_cast<unsigned char>(s[i + 2]) == 0xa8 || static_cast<unsigned char>(s[i + 2]) == 0xa9))
      return false;                                                           // U+2028, U+2029
    if (len == 4 && c == 0xf0 && c1 < 0x90) return false;
    if (len == 4 && c == 0xf4 && c1 >= 0x90) return false;
    i += len;
  }
  return true;
}

result<std::unique_ptr<store>> store::open(const std::filesystem::path& db_file, quota q) {
  auto d = db::database::open(db_file);
  if (!d) return d.error();
  auto v = db::migrate(d->get(), "sieve", migrations);
  if (!v) return v.error();
  return std::unique_ptr<store>(std::make_unique<sqlite_store>(std::move(*d), q));
}

}  // namespace hearth::mail::sieve_store
