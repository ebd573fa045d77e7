// The SQLite implementation of web::totp_store, in hearth.db beside the accounts.
#include "core/db/db.hpp"
#include "directory/address.hpp"
#include "web/totp_store.hpp"

namespace hearth::web {
namespace {

constexpr db::migration migrations[] = {
    {1, "web console second factor (TOTP)", R"sql(
CREATE TABLE web_totp(
  account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  secret BLOB NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 0,
  last_step INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  last_failure INTEGER NOT NULL DEFAULT 0
);
)sql"},
};

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

constexpr const char* account_of = "(SELECT id FROM accounts WHERE address = ?1)";

class sqlite_totp_store final : public totp_store {
 public:
  explicit sqlite_totp_store(db::database d) : db_(std::move(d)) {}

  std::optional<totp_state> get(std::string_view address) override {
    auto addr = directory::normalize_address(address);
    if (!addr) return std::nullopt;
    auto st = db_.get()
                  .prepare(std::string("SELECT secret, enabled, last_step, failures, last_failure FROM web_totp WHERE account_id = ") +
                           account_of)
                  .value();
    st.bind(1, *addr);
    if (!st.step().value()) return std::nullopt;
    totp_state s;
    auto b = st.column_blob(0);
    s.secret.assign(b.begin(), b.end());
    s.enabled = st.column_int64(1) != 0;
    s.last_step = st.column_int64(2);
    s.failures = static_cast<int>(st.column_int64(3));
    s.last_failure = st.column_int64(4);
    return s;
  }

  result<void> set_pending(std::string_view address, std::string_view secret) override {
    auto addr = directory::normalize_address(address);
    if (!addr || secret.empty() || secret.size() > 64) return fail("web.invalid", "bad address or secret");
    auto& c = db_.get();
    auto st = c.prepare(std::string("INSERT INTO web_totp(account_id, secret) SELECT id, ?2 FROM accounts WHERE address = ?1 ") +
                        "ON CONFLICT(account_id) DO UPDATE SET secret = excluded.secret, enabled = 0, last_step = 0, failures = 0");
    if (!st) return st.error();
    st->bind(1, *addr).bind(2, as_bytes(secret));
    if (auto r = st->run(); !r) return r;
    if (c.changes() == 0) return fail("web.no_account", "no such account");
    return {};
  }

  result<void> enable(std::string_view address, std::int64_t step) override {
    return update(address, "UPDATE web_totp SET enabled = 1, last_step = ?2, failures = 0 WHERE account_id = ", step);
  }

  result<void> remove(std::string_view address) override {
    return update(address, "DELETE FROM web_totp WHERE ?2 = ?2 AND account_id = ", 0);
  }

  result<void> accepted(std::string_view address, std::int64_t step) override {
    return update(address, "UPDATE web_totp SET last_step = ?2, failures = 0 WHERE account_id = ", step);
  }

  result<int> failed(std::string_view address, std::int64_t now) override {
    if (auto r = update(address, "UPDATE web_totp SET failures = failures + 1, last_failure = ?2 WHERE account_id = ", now); !r)
      return r.error();
    auto s = get(address);
    return s ? s->failures : 0;
  }

 private:
  result<void> update(std::string_view address, const char* sql, std::int64_t value) {
    auto addr = directory::normalize_address(address);
    if (!addr) return fail("web.invalid", "not an address");
    auto st = db_.get().prepare(std::string(sql) + account_of);
    if (!st) return st.error();
    st->bind(1, *addr).bind(2, value);
    return st->run();
  }

  db::database db_;
};

}  // namespace

result<std::unique_ptr<totp_store>> open_sqlite_totp_store(const std::filesystem::path& db_file) {
  auto d = db::database::open(db_file);
  if (!d) return d.error();
  auto v = db::migrate(d->get(), "web_totp", migrations);
  if (!v) return v.error();
  return std::unique_ptr<totp_store>(std::make_unique<sqlite_totp_store>(std::move(*d)));
}

}  // namespace hearth::web
