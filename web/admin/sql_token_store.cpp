// token_store on core/sql (SQLite or PostgreSQL), in the directory's database so that a token
// goes with its account (ON DELETE CASCADE).
#include <chrono>

#include "core/crypto/crypto.hpp"
#include "core/sql/sql.hpp"
#include "directory/address.hpp"
#include "web/admin/token_store.hpp"

namespace hearth::web::admin {
namespace {

constexpr sql::migration migrations[] = {
    {1, "admin API tokens", R"sql(
CREATE TABLE api_tokens(
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL,
  last_used INTEGER
);
)sql"},
};

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string hash_of(std::string_view secret) { return crypto::hex_encode(crypto::sha256(secret)); }

bool valid_label(std::string_view label) {
  if (label.empty() || label.size() > max_token_label) return false;
  for (unsigned char c : label)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

constexpr const char* select_info =
    "SELECT t.id, a.address, t.label, t.created, t.last_used FROM api_tokens t "
    "JOIN accounts a ON a.id = t.account_id ";

token_info read_info(const sql::rows& r, int row) {
  return token_info{r.int64(row, 0), r.text(row, 1), r.text(row, 2), r.int64(row, 3), r.opt_int64(row, 4)};
}

class sql_token_store final : public token_store {
 public:
  explicit sql_token_store(std::unique_ptr<sql::database> d) : db_(std::move(d)) {}

  result<created_token> create(std::string_view address, std::string_view label) override {
    if (!valid_label(label)) return fail("token.invalid", "a token label is 1 to 64 characters, no control characters");
    auto norm = directory::normalize_address(address);
    if (!norm) return fail("token.no_account", "no such account: " + std::string(address));
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full);
    if (!tx) return tx.error();
    auto account_id = c.query_int("SELECT id FROM accounts WHERE address = ?1", *norm);
    if (!account_id) return account_id.error();
    if (!*account_id) return fail("token.no_account", "no such account: " + *norm);
    created_token out;
    out.secret = std::string(token_prefix) + crypto::hex_encode(crypto::random_bytes(32));
    out.info.address = *norm;
    out.info.label = std::string(label);
    out.info.created = now_seconds();
    auto id = c.query_int("INSERT INTO api_tokens(account_id, label, hash, created) VALUES(?1, ?2, ?3, ?4) RETURNING id",
                          **account_id, label, hash_of(out.secret), out.info.created);
    if (!id) return id.error();
    out.info.id = id->value_or(0);
    if (auto r = tx->commit(); !r) return r.error();
    return out;
  }

  result<std::vector<token_info>> list() override {
    auto r = db_->get().query(std::string(select_info) + "ORDER BY t.id DESC");
    if (!r) return r.error();
    std::vector<token_info> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(read_info(*r, i));
    return out;
  }

  result<void> revoke(std::int64_t id) override {
    auto r = db_->get().query("DELETE FROM api_tokens WHERE id = ?1", id);
    if (!r) return r.error();
    if (r->affected() == 0) return fail("token.not_found", "no token with id " + std::to_string(id));
    return {};
  }

  result<std::optional<token_info>> verify(std::string_view secret) override {
    if (!well_formed_token(secret)) return std::optional<token_info>();
    auto& c = db_->get();
    auto r = c.query(std::string(select_info) + "WHERE t.hash = ?1", hash_of(secret));
    if (!r) return r.error();
    if (r->empty()) return std::optional<token_info>();
    token_info info = read_info(*r, 0);
    info.last_used = now_seconds();
    // The last use is shown to the admin, not relied on: a busy database must not refuse
    // the request.
    (void)c.query("UPDATE api_tokens SET last_used = ?2 WHERE id = ?1", info.id, *info.last_used);
    return std::optional<token_info>(std::move(info));
  }

 private:
  std::unique_ptr<sql::database> db_;
};

}  // namespace

bool well_formed_token(std::string_view secret) {
  if (secret.size() != token_prefix.size() + 64 || !secret.starts_with(token_prefix)) return false;
  for (char ch : secret.substr(token_prefix.size()))
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  return true;
}

result<std::unique_ptr<token_store>> open_token_store(const std::string& target) {
  auto d = sql::open_migrated(target, "web_tokens", migrations);
  if (!d) return d.error();
  return std::unique_ptr<token_store>(new sql_token_store(std::move(*d)));
}

}  // namespace hearth::web::admin
