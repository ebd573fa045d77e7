// push_store on SQLite (store.hpp), in the XMPP database file under its own migrations.
#include "core/db/db.hpp"
#include "xmpp/modules/push/store.hpp"

namespace hearth::xmpp::push {

namespace {

constexpr db::migration migrations[] = {
    {1, "push: app server registrations", R"sql(
CREATE TABLE push_registration(
  id INTEGER PRIMARY KEY, account TEXT NOT NULL, jid TEXT NOT NULL, node TEXT NOT NULL,
  options TEXT NOT NULL DEFAULT '', resource TEXT NOT NULL DEFAULT '',
  UNIQUE(account, jid, node)
);
)sql"},
};

class sqlite_store final : public push_store {
 public:
  explicit sqlite_store(db::database d) : db_(std::move(d)) {}

  void put(std::string_view account, const registration& r) override {
    auto& c = db_.get();
    db::transaction tx(c, db::durability::full);
    c.prepare("INSERT INTO push_registration(account, jid, node, options, resource) VALUES(?1, ?2, ?3, ?4, ?5) "
              "ON CONFLICT(account, jid, node) DO UPDATE SET options = excluded.options, resource = excluded.resource")
        .value()
        .bind_all(account, r.jid, r.node, r.options, r.resource)
        .run()
        .value();
    tx.commit().value();
  }

  std::size_t remove(std::string_view account, std::string_view jid, std::string_view node) override {
    auto& c = db_.get();
    db::transaction tx(c, db::durability::full);
    auto st = c.prepare("DELETE FROM push_registration WHERE account = ?1 AND jid = ?2 AND (?3 = '' OR node = ?3)").value();
    st.bind_all(account, jid, node).run().value();
    auto n = static_cast<std::size_t>(c.changes());
    tx.commit().value();
    return n;
  }

  std::vector<registration> list(std::string_view account) override {
    auto st = db_.get()
                  .prepare("SELECT jid, node, options, resource FROM push_registration WHERE account = ?1 ORDER BY id")
                  .value();
    st.bind_all(account);
    std::vector<registration> out;
    while (st.step().value()) out.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3)});
    return out;
  }

  bool has(std::string_view account, std::string_view jid, std::string_view node) override {
    auto st = db_.get().prepare("SELECT 1 FROM push_registration WHERE account = ?1 AND jid = ?2 AND node = ?3").value();
    st.bind_all(account, jid, node);
    return st.step().value();
  }

 private:
  db::database db_;
};

}  // namespace

result<std::unique_ptr<push_store>> open_sqlite_store(const std::filesystem::path& file) {
  auto d = db::database::open(file);
  if (!d) return d.error();
  auto v = db::migrate(d->get(), "push", migrations);
  if (!v) return v.error();
  return std::unique_ptr<push_store>(new sqlite_store(std::move(*d)));
}

}  // namespace hearth::xmpp::push
