// token_store on core/sql (token_store.hpp): SQLite (xmpp.db) or PostgreSQL, one implementation.
#include "core/crypto/crypto.hpp"
#include "core/sql/sql.hpp"
#include "xmpp/sasl2/token_store.hpp"

namespace hearth::xmpp::sasl2 {

namespace {

constexpr sql::migration migrations[] = {
    {1, "fast: FAST token slots (XEP-0484), nonces only", R"sql(
CREATE TABLE fast_token(
  account TEXT NOT NULL, agent TEXT NOT NULL, slot TEXT NOT NULL, nonce TEXT NOT NULL,
  expires INTEGER NOT NULL, PRIMARY KEY(account, agent, slot)
);
)sql"},
};

class sql_token_store final : public token_store {
 public:
  sql_token_store(std::unique_ptr<sql::database> d, std::string secret) : db_(std::move(d)), secret_(std::move(secret)) {}

  std::string issue(std::string_view account, std::string_view agent, std::int64_t expires) override {
    const std::string nonce = crypto::hex_encode(crypto::random_bytes(16));
    db_->get()
        .query("INSERT INTO fast_token(account, agent, slot, nonce, expires) VALUES(?1, ?2, 'new', ?3, ?4) "
               "ON CONFLICT(account, agent, slot) DO UPDATE SET nonce = excluded.nonce, expires = excluded.expires",
               account, agent, nonce, expires)
        .value();
    return token_of(account, agent, nonce);
  }

  std::vector<std::string> tokens(std::string_view account, std::string_view agent, std::int64_t now) override {
    // "new" before "current", written without comparing to a boolean, which the engines order
    // differently by type.
    auto r = db_->get()
                 .query("SELECT nonce FROM fast_token WHERE account = ?1 AND agent = ?2 AND expires > ?3 "
                        "ORDER BY CASE WHEN slot = 'new' THEN 0 ELSE 1 END",
                        account, agent, now)
                 .value();
    std::vector<std::string> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(token_of(account, agent, r.text(i, 0)));
    return out;
  }

  void used(std::string_view account, std::string_view agent, std::string_view token) override {
    auto& c = db_->get();
    // Read and move under the write lock, so that two logins with the same token on two nodes
    // move it once.
    auto tx = sql::transaction::begin(c).value();
    auto r = c.query("SELECT nonce FROM fast_token WHERE account = ?1 AND agent = ?2 AND slot = 'new'", account, agent)
                 .value();
    const bool is_new = !r.empty() && crypto::constant_time_equal(token_of(account, agent, r.text(0, 0)), token);
    if (!is_new) return;
    c.query("DELETE FROM fast_token WHERE account = ?1 AND agent = ?2 AND slot = 'current'", account, agent).value();
    c.query("UPDATE fast_token SET slot = 'current' WHERE account = ?1 AND agent = ?2 AND slot = 'new'", account, agent)
        .value();
    tx.commit().value();
  }

  void invalidate(std::string_view account, std::string_view agent) override {
    db_->get().query("DELETE FROM fast_token WHERE account = ?1 AND agent = ?2", account, agent).value();
  }

 private:
  std::string token_of(std::string_view account, std::string_view agent, std::string_view nonce) const {
    std::string label = "hearth-fast-v1\n";
    label.append(account).append("\n").append(agent).append("\n").append(nonce);
    return crypto::base64_encode(crypto::hmac_sha256(secret_, label));
  }

  std::unique_ptr<sql::database> db_;
  std::string secret_;
};

}  // namespace

result<std::unique_ptr<token_store>> open_token_store(const std::string& target, std::string secret) {
  auto d = sql::open_migrated(target, "fast", migrations);
  if (!d) return d.error();
  return std::unique_ptr<token_store>(new sql_token_store(std::move(*d), std::move(secret)));
}

}  // namespace hearth::xmpp::sasl2
