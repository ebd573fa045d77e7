// The SQLite implementation of token_store, in the directory's database file so that a token
// goes with its account (ON DELETE CASCADE).
#include <chrono>

#include "core/crypto/crypto.hpp"
#include "core/db/db.hpp"
#include "directory/address.hpp"
#include "web/admin/token_store.hpp"

namespace hearth::web::admin {
namespace {

constexpr db::migration migrations[] = {
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

token_info read_info(db::statement& st) {
  return token_info{st.column_int64(0), st.column_text(1), st.column_text(2), st.column_int64(3),
                    st.column_opt_int64(4)};
}

class sqlite_token_store final : public token_store {
 public:
  explicit sqlite_token_store(db::database d) : db_(std::move(d)) {}

  result<created_token> create(std::string_view address, std::string_view label) override {
    if (!valid_label(label)) return fail("token.invalid", "a token label is 1 to 64 characters, no control characters");
    auto norm = directory::normalize_address(address);
    if (!norm) return fail("token.no_account", "no such account: " + std::string(address));
    auto& c = db_.get();
    auto tx = db::transaction::begin(c, db::durability::full);
    if (!tx) return tx.error();
    auto acc = c.prepare("SELECT id FROM accounts WHERE address = ?1");
    if (!acc) return acc.error();
    acc->bind(1, *norm);
    auto row = acc->step();
    if (!row) return row.error();
    if (!*row) return fail("token.no_account", "no such account: " + *norm);
    std::int64_t account_id = acc->column_int64(0);
    acc->reset();
    created_token out;
    out.secret = std::string(token_prefix) + crypto::hex_encode(crypto::random_bytes(32));
    out.info.address = *norm;
    out.info.label = std::string(label);
    out.info.created = now_seconds();
    auto ins = c.prepare("INSERT INTO api_tokens(account_id, label, hash, created) VALUES(?1, ?2, ?3, ?4)");
    if (!ins) return ins.error();
    ins->bind_all(account_id, label, hash_of(out.secret), out.info.created);
    if (auto r = ins->run(); !r) return r.error();
    out.info.id = c.last_insert_rowid();
    if (auto r = tx->commit(); !r) return r.error();
    return out;
  }

  result<std::vector<token_info>> list() override {
    auto& c = db_.get();
    auto st = c.prepare(std::string(select_info) + "ORDER BY t.id DESC");
    if (!st) return st.error();
    std::vector<token_info> out;
    for (;;) {
      auto row = st->step();
      if (!row) return row.error();
      if (!*row) break;
      out.push_back(read_info(*st));
    }
    return out;
  }

  result<void> revoke(std::int64_t id) override {
    auto& c = db_.get();
    auto st = c.prepare("DELETE FROM api_tokens WHERE id = ?1");
    if (!st) return st.error();
    st->bind(1, id);
    if (auto r = st->run(); !r) return r;
    if (c.changes() == 0) return fail("token.not_found", "no token with id " + std::to_string(id));
    return {};
  }

  result<std::optional<token_info>> verify(std::string_view secret) override {
    if (!well_formed_token(secret)) return std::optional<token_info>();
    auto& c = db_.get();
    auto st = c.prepare(std::string(select_info) + "WHERE t.hash = ?1");
    if (!st) return st.error();
    st->bind(1, hash_of(secret));
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return std::optional<token_info>();
    token_info info = read_info(*st);
    st->reset();
    info.last_used = now_seconds();
    auto touch = c.prepare("UPDATE api_tokens SET last_used = ?2 WHERE id = ?1");
    if (!touch) return touch.error();
    touch->bind_all(info.id, *info.last_used);
    // The last use is shown to the admin, not relied on: a busy database must not refuse
    // the request.
    (void)touch->run();
    return std::optional<token_info>(std::move(info));
  }

 private:
  db::database db_;
};

}  // namespace

bool well_formed_token(std::string_view secret) {
  if (secret.size() != token_prefix.size() + 64 || !secret.starts_with(token_prefix)) return false;
  for (char ch : secret.substr(token_prefix.size()))
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  return true;
}

result<std::unique_ptr<token_store>> open_sqlite_token_store(const std::filesystem::path& db_file) {
  auto d = db::database::open(db_file);
  if (!d) return d.error();
  auto v = db::migrate(d->get(), "web_tokens", migrations);
  if (!v) return v.error();
  return std::unique_ptr<token_store>(new sqlite_token_store(std::move(*d)));
}

}  // namespace hearth::web::admin
