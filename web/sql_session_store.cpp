// web::session_store on core/sql (SQLite or PostgreSQL), in the directory's database beside its
// accounts (ON DELETE CASCADE: an account's sessions go with it).
#include <algorithm>
#include <chrono>

#include "core/crypto/crypto.hpp"
#include "core/sql/sql.hpp"
#include "directory/address.hpp"
#include "web/session_store.hpp"

namespace hearth::web {
namespace {

constexpr sql::migration migrations[] = {
    {1, "web console sessions", R"sql(
CREATE TABLE web_sessions(
  token_hash TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  csrf TEXT NOT NULL,
  created INTEGER NOT NULL,
  expires INTEGER NOT NULL,
  ip TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX web_sessions_account ON web_sessions(account_id);
)sql"},
    {2, "web console sessions end when unused (web.session_idle)", R"sql(
ALTER TABLE web_sessions ADD COLUMN last_used INTEGER NOT NULL DEFAULT 0;
UPDATE web_sessions SET last_used = created;
)sql"},
};

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// 32 random octets: guessing a live token is hopeless; base64url so it fits a cookie as is.
std::string random_token() {
  std::string t = crypto::base64_encode(crypto::random_bytes(32));
  for (auto& c : t) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  while (!t.empty() && t.back() == '=') t.pop_back();
  return t;
}

std::string token_hash(std::string_view token) { return crypto::hex_encode(crypto::sha256(token)); }

bool plausible_token(std::string_view t) {
  if (t.size() != 43) return false;
  for (char c : t)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

class sql_session_store final : public session_store {
 public:
  explicit sql_session_store(std::unique_ptr<sql::database> d) : db_(std::move(d)) {}

  result<new_session> create(std::string_view address, std::string_view ip, std::chrono::seconds lifetime) override {
    auto addr = directory::normalize_address(address);
    if (!addr) return fail("web.invalid", "not an address");
    if (ip.size() > 64) return fail("web.invalid", "client address too long");
    auto& c = db_->get();
    auto account_id = c.query_int("SELECT id FROM accounts WHERE address = ?1", *addr);
    if (!account_id) return account_id.error();
    if (!*account_id) return fail("web.no_account", "no such account");
    new_session s;
    s.token = random_token();
    s.info.id = crypto::hex_encode(crypto::random_bytes(8));
    s.info.address = *addr;
    s.info.csrf = random_token();
    s.info.created = now_seconds();
    s.info.expires = s.info.created + lifetime.count();
    s.info.ip = std::string(ip);
    s.info.last_used = s.info.created;
    auto r = c.query(
        "INSERT INTO web_sessions(token_hash, id, account_id, csrf, created, expires, ip, last_used) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5)",
        token_hash(s.token), s.info.id, **account_id, s.info.csrf, s.info.created, s.info.expires, s.info.ip);
    if (!r) return r.error();
    return s;
  }

  std::optional<session> find(std::string_view token, std::chrono::seconds idle) override {
    if (!plausible_token(token)) return std::nullopt;
    auto& c = db_->get();
    const std::int64_t now = now_seconds();
    const std::string hash = token_hash(token);
    auto r = c.query(
                  "SELECT s.id, a.address, s.csrf, s.created, s.expires, s.ip, s.last_used FROM web_sessions s "
                  "JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?1 AND s.expires > ?2",
                  hash, now)
                 .value();
    if (r.empty()) return std::nullopt;
    session s;
    s.id = r.text(0, 0);
    s.address = r.text(0, 1);
    s.csrf = r.text(0, 2);
    s.created = r.int64(0, 3);
    s.expires = r.int64(0, 4);
    s.ip = r.text(0, 5);
    s.last_used = r.int64(0, 6);
    if (idle.count() <= 0) return s;
    if (now - s.last_used >= idle.count()) return std::nullopt;
    // Written down at most every quarter of the idle time (and at least once a minute): a
    // page's API calls cost a read each, not a write each, and the idle limit stays within
    // a quarter of what was configured.
    const std::int64_t every = std::clamp<std::int64_t>(idle.count() / 4, 1, 60);
    if (now - s.last_used >= every) {
      c.query("UPDATE web_sessions SET last_used = ?1 WHERE token_hash = ?2", now, hash).value();
      s.last_used = now;
    }
    return s;
  }

  result<void> remove(std::string_view token) override {
    if (!plausible_token(token)) return {};
    auto r = db_->get().query("DELETE FROM web_sessions WHERE token_hash = ?1", token_hash(token));
    if (!r) return r.error();
    return {};
  }

  result<std::size_t> remove_all(std::string_view address, std::string_view keep) override {
    auto addr = directory::normalize_address(address);
    if (!addr) return fail("web.invalid", "not an address");
    auto r = db_->get().query(
        "DELETE FROM web_sessions WHERE account_id = (SELECT id FROM accounts WHERE address = ?1) AND token_hash <> ?2",
        *addr, keep.empty() ? std::string() : token_hash(keep));
    if (!r) return r.error();
    return static_cast<std::size_t>(r->affected());
  }

  result<void> purge_expired() override {
    auto r = db_->get().query("DELETE FROM web_sessions WHERE expires <= ?1", now_seconds());
    if (!r) return r.error();
    return {};
  }

 private:
  std::unique_ptr<sql::database> db_;
};

}  // namespace

result<std::unique_ptr<session_store>> open_session_store(const std::string& target) {
  auto d = sql::open_migrated(target, "web", migrations);
  if (!d) return d.error();
  return std::unique_ptr<session_store>(std::make_unique<sql_session_store>(std::move(*d)));
}

}  // namespace hearth::web
