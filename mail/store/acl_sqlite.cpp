// acl_store on SQLite, in the server's database file next to the mailboxes.
#include "core/db/db.hpp"
#include "mail/store/acl.hpp"

namespace hearth::mail {
namespace {

// Never edit a released migration: add the next one. The foreign key makes a grant go with its
// mailbox row: DELETE removes the row, RENAME keeps its id.
constexpr db::migration migrations[] = {
    {1, "mailbox access control lists", R"sql(
CREATE TABLE mail_acl (
  mailbox_id INTEGER NOT NULL REFERENCES mail_mailboxes(id) ON DELETE CASCADE,
  identifier TEXT NOT NULL,
  rights TEXT NOT NULL,
  PRIMARY KEY (mailbox_id, identifier)
);
CREATE INDEX mail_acl_identifier ON mail_acl (identifier);
)sql"},
};

constexpr const char* acl_cols =
    "SELECT m.account, m.name, a.identifier, a.rights FROM mail_acl a JOIN mail_mailboxes m ON m.id = a.mailbox_id ";

class sqlite_acl_store final : public acl_store {
 public:
  explicit sqlite_acl_store(db::database d) : db_(std::move(d)) {}

  result<bool> set(std::string_view owner, std::string_view mailbox, std::string_view identifier,
                   std::string_view rights) override {
    auto c = db_.try_get();
    if (!c) return c.error();
    auto t = db::transaction::begin(**c, db::durability::full);
    if (!t) return t.error();
    // INBOX is case-insensitive and stored as "INBOX" (store.hpp).
    auto find = c.value()->prepare(
        "SELECT id FROM mail_mailboxes WHERE account=?1 AND (name=?2 OR (upper(?2)='INBOX' AND name='INBOX'))");
    if (!find) return find.error();
    find->bind_all(owner, mailbox);
    auto row = find->step();
    if (!row) return row.error();
    if (!*row) return fail("mail.no_mailbox", "no such mailbox");
    const std::int64_t id = find->column_int64(0);
    auto old = c.value()->prepare("SELECT 1 FROM mail_acl WHERE mailbox_id=?1 AND identifier=?2");
    if (!old) return old.error();
    old->bind_all(id, identifier);
    auto had = old->step();
    if (!had) return had.error();
    const bool existed = *had;
    auto st = rights.empty()
                  ? c.value()->prepare("DELETE FROM mail_acl WHERE mailbox_id=?1 AND identifier=?2")
                  : c.value()->prepare(
                        "INSERT INTO mail_acl (mailbox_id, identifier, rights) VALUES (?1,?2,?3) "
                        "ON CONFLICT (mailbox_id, identifier) DO UPDATE SET rights=excluded.rights");
    if (!st) return st.error();
    st->bind_all(id, identifier);
    if (!rights.empty()) st->bind(3, rights);
    if (auto r = st->run(); !r) return r.error();
    if (auto r = t->commit(); !r) return r.error();
    return existed;
  }

  result<std::vector<acl_grant>> of_mailbox(std::string_view owner, std::string_view mailbox) override {
    return run_query(std::string(acl_cols) + "WHERE m.account=?1 AND m.name=?2 ORDER BY a.identifier",
                     [&](db::statement& st) { st.bind_all(owner, mailbox); });
  }

  result<std::vector<acl_grant>> for_user(std::string_view user) override {
    return run_query(std::string(acl_cols) +
                         "WHERE a.identifier IN (?1, 'anyone') AND m.account<>?1 ORDER BY m.account, m.name",
                     [&](db::statement& st) { st.bind(1, user); });
  }

  result<std::vector<acl_grant>> of_owner(std::string_view owner) override {
    return run_query(std::string(acl_cols) + "WHERE m.account=?1 ORDER BY m.name, a.identifier",
                     [&](db::statement& st) { st.bind(1, owner); });
  }

 private:
  template <class Bind>
  result<std::vector<acl_grant>> run_query(const std::string& sql, Bind bind) {
    auto c = db_.try_get();
    if (!c) return c.error();
    auto st = c.value()->prepare(sql);
    if (!st) return st.error();
    bind(*st);
    std::vector<acl_grant> out;
    for (;;) {
      auto row = st->step();
      if (!row) return row.error();
      if (!*row) break;
      out.push_back({st->column_text(0), st->column_text(1), st->column_text(2), st->column_text(3)});
    }
    return out;
  }

  db::database db_;
};

}  // namespace

result<std::unique_ptr<acl_store>> acl_store::open(const std::filesystem::path& db_file) {
  auto d = db::database::open(db_file);
  if (!d) return d.error();
  auto c = d->try_get();
  if (!c) return c.error();
  auto v = db::migrate(**c, "mail_acl", migrations);
  if (!v) return v.error();
  return std::unique_ptr<acl_store>(std::make_unique<sqlite_acl_store>(std::move(*d)));
}

}  // namespace hearth::mail
