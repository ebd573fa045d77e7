// sieve_store::store on core/sql (SQLite or PostgreSQL), in the directory's database so that
// the scripts can refer to the directory's accounts (ON DELETE CASCADE: they go with the account).
#include <algorithm>

#include "core/sql/sql.hpp"
#include "core/log/log.hpp"
#include "directory/address.hpp"
#include "mail/sieve_store/store.hpp"

namespace hearth::mail::sieve_store {
namespace {

constexpr sql::migration migrations[] = {
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

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

class sql_store final : public store {
 public:
  sql_store(std::unique_ptr<sql::database> d, quota q) : store(q), db_(std::move(d)) {}

  result<std::vector<script_info>> list(std::string_view account) override {
    auto& c = db_->get();
    auto id = account_id(c, account);
    if (!id) return id.error();
    return list_of(c, *id);
  }

  result<std::string> get(std::string_view account, std::string_view name) override {
    auto& c = db_->get();
    auto id = account_id(c, account);
    if (!id) return id.error();
    auto r = c.query("SELECT content FROM sieve_scripts WHERE account_id = ?1 AND name = ?2", *id, name);
    if (!r) return r.error();
    if (r->empty()) return fail("sieve.not_found", "no script named " + std::string(name));
    return r->text(0, 0);
  }

  result<void> check_space(std::string_view account, std::string_view name, std::uint64_t size) override {
    if (!valid_name(name)) return fail("sieve.invalid", "invalid script name");
    auto& c = db_->get();
    auto id = account_id(c, account);
    if (!id) return id.error();
    return fits(c, *id, name, size);
  }

  result<void> put(std::string_view account, std::string_view name, std::string_view content) override {
    if (!valid_name(name)) return fail("sieve.invalid", "invalid script name");
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full);
    if (!tx) return tx.error();
    auto id = account_id(c, account);
    if (!id) return id.error();
    if (auto f = fits(c, *id, name, content.size()); !f) return f;
    auto r = c.query(
        "INSERT INTO sieve_scripts(account_id, name, content, updated) VALUES(?1, ?2, ?3, ?4) "
        "ON CONFLICT(account_id, name) DO UPDATE SET content = excluded.content, updated = excluded.updated",
        *id, name, as_bytes(content), now_seconds());
    if (!r) return r.error();
    return tx->commit();
  }

  result<void> set_active(std::string_view account, std::optional<std::string_view> name) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full);
    if (!tx) return tx.error();
    auto id = account_id(c, account);
    if (!id) return id.error();
    if (name) {
      auto e = exists(c, *id, *name);
      if (!e) return e.error();
      if (!*e) return fail("sieve.not_found", "no script named " + std::string(*name));
    }
    if (auto r = c.query("UPDATE sieve_scripts SET active = 0 WHERE account_id = ?1 AND active = 1", *id); !r)
      return r.error();
    if (name) {
      if (auto r = c.query("UPDATE sieve_scripts SET active = 1 WHERE account_id = ?1 AND name = ?2", *id, *name); !r)
        return r.error();
    }
    return tx->commit();
  }

  result<void> remove(std::string_view account, std::string_view name) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full);
    if (!tx) return tx.error();
    auto id = account_id(c, account);
    if (!id) return id.error();
    auto act = c.query_int("SELECT active FROM sieve_scripts WHERE account_id = ?1 AND name = ?2", *id, name);
    if (!act) return act.error();
    if (!*act) return fail("sieve.not_found", "no script named " + std::string(name));
    // RFC 5804 §2.10: deleting the active script is refused.
    if (**act != 0) return fail("sieve.active", "the script is active");
    if (auto r = c.query("DELETE FROM sieve_scripts WHERE account_id = ?1 AND name = ?2", *id, name); !r)
      return r.error();
    return tx->commit();
  }

  result<void> rename(std::string_view account, std::string_view from, std::string_view to) override {
    if (!valid_name(to)) return fail("sieve.invalid", "invalid script name");
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full);
    if (!tx) return tx.error();
    auto id = account_id(c, account);
    if (!id) return id.error();
    auto src = exists(c, *id, from);
    if (!src) return src.error();
    if (!*src) return fail("sieve.not_found", "no script named " + std::string(from));
    auto dst = exists(c, *id, to);
    if (!dst) return dst.error();
    if (*dst) return fail("sieve.exists", "a script named " + std::string(to) + " exists");
    if (auto r = c.query("UPDATE sieve_scripts SET name = ?3, updated = ?4 WHERE account_id = ?1 AND name = ?2", *id,
                         from, to, now_seconds());
        !r)
      return r.error();
    return tx->commit();
  }

  result<std::optional<script>> active(std::string_view account) override {
    auto& c = db_->get();
    auto id = account_id(c, account);
    if (!id) return id.error();
    auto r = c.query("SELECT name, content FROM sieve_scripts WHERE account_id = ?1 AND active = 1", *id);
    if (!r) return r.error();
    if (r->empty()) return std::optional<script>();
    return std::optional<script>(script{r->text(0, 0), r->text(0, 1)});
  }

  result<std::vector<script_info>> global_list() override {
    auto& c = db_->get();
    auto r = c.query("SELECT name, length(content) FROM sieve_global_scripts ORDER BY name");
    if (!r) return r.error();
    std::vector<script_info> out;
    for (int i = 0; i < r->size(); ++i)
      out.push_back({r->text(i, 0), false, static_cast<std::uint64_t>(r->int64(i, 1))});
    return out;
  }

  result<std::optional<std::string>> global_get(std::string_view name) override {
    auto& c = db_->get();
    auto r = c.query("SELECT content FROM sieve_global_scripts WHERE name = ?1", name);
    if (!r) return r.error();
    if (r->empty()) return std::optional<std::string>();
    return std::optional<std::string>(r->text(0, 0));
  }

  result<void> global_put(std::string_view name, std::string_view content) override {
    if (!valid_name(name)) return fail("sieve.invalid", "invalid script name");
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full);
    if (!tx) return tx.error();
    if (auto r = c.query("INSERT INTO sieve_global_scripts(name, content, updated) VALUES(?1, ?2, ?3) "
                         "ON CONFLICT(name) DO UPDATE SET content = excluded.content, updated = excluded.updated",
                         name, as_bytes(content), now_seconds());
        !r)
      return r.error();
    return tx->commit();
  }

  result<void> global_remove(std::string_view name) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full);
    if (!tx) return tx.error();
    auto r = c.query("DELETE FROM sieve_global_scripts WHERE name = ?1", name);
    if (!r) return r.error();
    if (r->affected() == 0) return fail("sieve.not_found", "no global script named " + std::string(name));
    return tx->commit();
  }

  result<bool> remember(std::string_view account, std::string_view kind, std::string_view key, std::int64_t now,
                        std::int64_t period) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full);
    if (!tx) return tx.error();
    auto id = account_id(c, account);
    if (!id) return id.error();
    if (auto r = c.query("DELETE FROM sieve_memory WHERE expires <= ?1", now); !r) return r.error();
    auto seen = is_remembered(c, *id, kind, key, now);
    if (!seen) return seen.error();
    if (*seen) return true;
    if (auto r = c.query("INSERT INTO sieve_memory(account_id, kind, key, expires) VALUES(?1, ?2, ?3, ?4) "
                         "ON CONFLICT(account_id, kind, key) DO UPDATE SET expires = excluded.expires",
                         *id, kind, key, now + std::max<std::int64_t>(period, 1));
        !r)
      return r.error();
    if (auto r = tx->commit(); !r) return r.error();
    return false;
  }

  result<bool> remembered(std::string_view account, std::string_view kind, std::string_view key,
                          std::int64_t now) override {
    auto& c = db_->get();
    auto id = account_id(c, account);
    if (!id) return id.error();
    return is_remembered(c, *id, kind, key, now);
  }

 private:
  result<std::int64_t> account_id(sql::connection& c, std::string_view account) {
    auto addr = directory::normalize_address(account);
    if (!addr) return fail("sieve.invalid", "not a valid address");
    auto id = c.query_int("SELECT id FROM accounts WHERE address = ?1", *addr);
    if (!id) return id.error();
    if (!*id) return fail("sieve.no_account", "no account " + *addr);
    return **id;
  }

  result<bool> exists(sql::connection& c, std::int64_t id, std::string_view name) {
    auto r = c.query("SELECT 1 FROM sieve_scripts WHERE account_id = ?1 AND name = ?2", id, name);
    if (!r) return r.error();
    return !r->empty();
  }

  result<bool> is_remembered(sql::connection& c, std::int64_t id, std::string_view kind, std::string_view key,
                             std::int64_t now) {
    auto exp = c.query_int("SELECT expires FROM sieve_memory WHERE account_id = ?1 AND kind = ?2 AND key = ?3", id,
                           kind, key);
    if (!exp) return exp.error();
    return *exp && **exp > now;
  }

  result<std::vector<script_info>> list_of(sql::connection& c, std::int64_t id) {
    auto r = c.query("SELECT name, active, length(content) FROM sieve_scripts WHERE account_id = ?1 ORDER BY name", id);
    if (!r) return r.error();
    std::vector<script_info> out;
    for (int i = 0; i < r->size(); ++i)
      out.push_back({r->text(i, 0), r->int64(i, 1) != 0, static_cast<std::uint64_t>(r->int64(i, 2))});
    return out;
  }

  result<void> fits(sql::connection& c, std::int64_t id, std::string_view name, std::uint64_t size) {
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

  std::unique_ptr<sql::database> db_;
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

result<std::unique_ptr<store>> store::open(const std::string& target, quota q) {
  auto d = sql::open_migrated(target, "sieve", migrations);
  if (!d) return d.error();
  return std::unique_ptr<store>(std::make_unique<sql_store>(std::move(*d), q));
}

}  // namespace hearth::mail::sieve_store
