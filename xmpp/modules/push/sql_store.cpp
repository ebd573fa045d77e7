// push_store on core/sql (store.hpp): one implementation for SQLite and PostgreSQL, under its
// own migration component ("push") with the table of the former SQLite-only store, so existing
// xmpp.db files open unchanged. Results are unwrapped with value(), which throws
// hearth::error_exception (a std::runtime_error, as store.hpp promises).
#include "core/sql/sql.hpp"
#include "xmpp/modules/push/store.hpp"

namespace hearth::xmpp::push {

namespace {

// Never edit a released migration: add the next one.
constexpr sql::migration migrations[] = {
    {1, "push: app server registrations", R"sql(
CREATE TABLE push_registration(
  id INTEGER PRIMARY KEY, account TEXT NOT NULL, jid TEXT NOT NULL, node TEXT NOT NULL,
  options TEXT NOT NULL DEFAULT '', resource TEXT NOT NULL DEFAULT '',
  UNIQUE(account, jid, node)
);
)sql"},
};

class sql_store final : public push_store {
 public:
  explicit sql_store(std::unique_ptr<sql::database> d) : db_(std::move(d)) {}

  void put(std::string_view account, const registration& r) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    c.query("INSERT INTO push_registration(account, jid, node, options, resource) VALUES(?1, ?2, ?3, ?4, ?5) "
            "ON CONFLICT(account, jid, node) DO UPDATE SET options = excluded.options, resource = excluded.resource",
            account, r.jid, r.node, r.options, r.resource)
        .value();
    tx.commit().value();
  }

  std::size_t remove(std::string_view account, std::string_view jid, std::string_view node) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    auto r = c.query("DELETE FROM push_registration WHERE account = ?1 AND jid = ?2 AND (?3 = '' OR node = ?3)",
                     account, jid, node)
                 .value();
    tx.commit().value();
    return static_cast<std::size_t>(r.affected());
  }

  std::vector<registration> list(std::string_view account) override {
    auto r = db_->get()
                 .query("SELECT jid, node, options, resource FROM push_registration WHERE account = ?1 ORDER BY id",
                        account)
                 .value();
    std::vector<registration> out;
    for (int i = 0; i < r.size(); ++i) out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3)});
    return out;
  }

  bool has(std::string_view account, std::string_view jid, std::string_view node) override {
    return !db_->get()
                .query("SELECT 1 FROM push_registration WHERE account = ?1 AND jid = ?2 AND node = ?3", account, jid, node)
                .value()
                .empty();
  }

 private:
  std::unique_ptr<sql::database> db_;
};

}  // namespace

result<std::unique_ptr<push_store>> open_store(const std::string& target) {
  auto d = sql::open_migrated(target, "push", migrations);
  if (!d) return d.error();
  return std::unique_ptr<push_store>(new sql_store(std::move(*d)));
}

}  // namespace hearth::xmpp::push
