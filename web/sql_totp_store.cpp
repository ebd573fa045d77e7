// web::totp_store on core/sql (SQLite or PostgreSQL), in the directory's database beside the
// accounts.
#include "core/sql/sql.hpp"
#include "directory/address.hpp"
#include "web/totp_store.hpp"

namespace hearth::web {
namespace {

constexpr sql::migration migrations[] = {
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

class sql_totp_store final : public totp_store {
 public:
  explicit sql_totp_store(std::unique_ptr<sql::database> d) : db_(std::move(d)) {}

  std::optional<totp_state> get(std::string_view address) override {
    auto addr = directory::normalize_address(address);
    if (!addr) return std::nullopt;
    auto r = db_->get()
                 .query(std::string("SELECT secret, enabled, last_step, failures, last_failure FROM web_totp WHERE account_id = ") +
                            account_of,
                        *addr)
                 .value();
    if (r.empty()) return std::nullopt;
    totp_state s;
    s.secret = r.text(0, 0);
    s.enabled = r.int64(0, 1) != 0;
    s.last_step = r.int64(0, 2);
    s.failures = static_cast<int>(r.int64(0, 3));
    s.last_failure = r.int64(0, 4);
    return s;
  }

  result<void> set_pending(std::string_view address, std::string_view secret) override {
    auto addr = directory::normalize_address(address);
    if (!addr || secret.empty() || secret.size() > 64) return fail("web.invalid", "bad address or secret");
    auto& c = db_->get();
    // The account's id first, then a plain VALUES insert: PostgreSQL cannot type a parameter
    // in the select list of INSERT ... SELECT as the BYTEA column it goes to.
    auto id = c.query_int("SELECT id FROM accounts WHERE address = ?1", *addr);
    if (!id) return id.error();
    if (!*id) return fail("web.no_account", "no such account");
    auto r = c.query(
        "INSERT INTO web_totp(account_id, secret) VALUES(?1, ?2) "
        "ON CONFLICT(account_id) DO UPDATE SET secret = excluded.secret, enabled = 0, last_step = 0, failures = 0",
        **id, as_bytes(secret));
    if (!r) return r.error();
    return {};
  }

  result<void> enable(std::string_view address, std::int64_t step) override {
    return update(address, "UPDATE web_totp SET enabled = 1, last_step = ?2, failures = 0 WHERE account_id = ", step);
  }

  result<void> remove(std::string_view address) override {
    auto addr = directory::normalize_address(address);
    if (!addr) return fail("web.invalid", "not an address");
    auto r = db_->get().query(std::string("DELETE FROM web_totp WHERE account_id = ") + account_of, *addr);
    if (!r) return r.error();
    return {};
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
    auto r = db_->get().query(std::string(sql) + account_of, *addr, value);
    if (!r) return r.error();
    return {};
  }

  std::unique_ptr<sql::database> db_;
};

}  // namespace

result<std::unique_ptr<totp_store>> open_totp_store(const std::string& target) {
  auto d = sql::open_migrated(target, "web_totp", migrations);
  if (!d) return d.error();
  return std::unique_ptr<totp_store>(std::make_unique<sql_totp_store>(std::move(*d)));
}

}  // namespace hearth::web
