// token_store on SQLite (token_store.hpp).
#include "core/crypto/crypto.hpp"
#include "core/db/db.hpp"
#include "xmpp/sasl2/token_store.hpp"

namespace hearth::xmpp::sasl2 {

namespace {

constexpr db::migration migrations[] = {
    {1, "fast: FAST token slots (XEP-0484), nonces only", R"sql(
CREATE TABLE fast_token(
  account TEXT NOT NULL, agent TEXT NOT NULL, slot TEXT NOT NULL, nonce TEXT NOT NULL,
  expires INTEGER NOT NULL, PRIMARY KEY(account, agent, slot)
);
)sql"},
};

class sqlite_token_store final : public token_store {
 public:
  sqlite_token_store(db::database d, std::string secret) : db_(std::move(d)), secret_(std::move(secret)) {}

  std::string issue(std::string_view account, std::string_view agent, std::int64_t expires) override {
    const std::string nonce = crypto::hex_encode(crypto::random_bytes(16));
    db_.get()
        .prepare("INSERT INTO fast_token(account, agent, slot, nonce, expires) VALUES(?1, ?2, 'new', ?3, ?4) "
                 "ON CONFLICT(account, agent, slot) DO UPDATE SET nonce = ?3, expires = ?4")
        .value()
        .bind_all(account, agent, nonce, expires)
        .run()
        .value();
    return token_of(account, agent, nonce);
  }

  std::vector<std::string> tokens(std::string_view account, std::string_view agent, std::int64_t now) override {
    auto st = db_.get()
                  .prepare("SELECT nonce FROM fast_token WHERE account = ?1 AND agent = ?2 AND expires > ?3 "
                           "ORDER BY slot = 'new' DESC")
                  .value();
    st.bind_all(account, agent, now);
    std::vector<std::string> out;
    while (st.step().value()) out.push_back(token_of(account, agent, st.column_text(0)));
    st.reset();
    return out;
  }

  void used(std::string_view account, std::string_view agent, std::string_view token) override {
    auto& c = db_.get();
    db::transaction tx(c);
    auto st = c.prepare("SELECT nonce FROM fast_token WHERE account = ?1 AND agent = ?2 AND slot = 'new'").value();
    st.bind_all(account, agent);
    const bool is_new = st.step().value() && crypto::constant_time_equal(token_of(account, agent, st.column_text(0)), token);
    st.reset();
    if (!is_new) return;
    c.prepare("DELETE FROM fast_token WHERE account = ?1 AND agent = ?2 AND slot = 'current'")
        .value()
        .bind_all(account, agent)
        .run()
        .value();
    c.prepare("UPDATE fast_token SET slot = 'current' WHERE account = ?1 AND agent = ?2 AND slot = 'new'")
        .value()
        .bind_all(account, agent)
        .run()
        .value();
    tx.commit().value();
  }

  void invalidate(std::string_view account, std::string_view agent) override {
    db_.get()
        .prepare("DELETE FROM fast_token WHERE account = ?1 AND agent = ?2")
        .value()
        .bind_all(account, agent)
        .run()
        .value();
  }

 private:
  std::string token_of(std::string_view account, std::string_view agent, std::string_view nonce) const {
    std::string label = "hearth-fast-v1\n";
    label.append(account).append("\n").append(agent).append("\n").append(nonce);
    return crypto::base64_encode(crypto::hmac_sha256(secret_, label));
  }

  db::database db_;
  std::string secret_;
};

}  // namespace

result<std::unique_ptr<token_store>> open_sqlite_token_store(const std::filesystem::path& file, std::string secret) {
  auto d = db::database::open(file);
  if (!d) return d.error();
  auto v = db::migrate(d->get(), "fast", migrations);
  if (!v) return v.error();
  return std::unique_ptr<token_store>(new sqlite_token_store(std::move(*d), std::move(secret)));
}

}  // namespace hearth::xmpp::sasl2
