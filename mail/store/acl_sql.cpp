// acl_store on core/sql (SQLite or PostgreSQL), in the server's database next to the mailboxes.
#include "core/sql/sql.hpp"
#include "mail/store/acl.hpp"

namespace hearth::mail {
namespace {

// Never edit a released migration: add the next one. The foreign key makes a grant go with its
// mailbox row: DELETE removes the row, RENAME keeps its id.
constexpr sql::migration migrations[] = {
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

class sql_acl_store final : public acl_store {
 public:
  explicit sql_acl_store(std::unique_ptr<sql::database> d) : db_(std::move(d)) {}

  result<bool> set(std::string_view owner, std::string_view mailbox, std::string_view identifier,
                   std::string_view rights) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto& conn = **c;
    auto t = sql::transaction::begin(conn, sql::durability::full);
    if (!t) return t.error();
    // INBOX is case-insensitive and stored as "INBOX" (store.hpp).
    auto id = conn.query_int(
        "SELECT id FROM mail_mailboxes WHERE account=?1 AND (name=?2 OR (upper(?2)='INBOX' AND name='INBOX'))", owner,
        mailbox);
    if (!id) return id.error();
    if (!*id) return fail("mail.no_mailbox", "no such mailbox");
    auto had = conn.query("SELECT 1 FROM mail_acl WHERE mailbox_id=?1 AND identifier=?2", **id, identifier);
    if (!had) return had.error();
    const bool existed = !had->empty();
    auto r = rights.empty() ? conn.query("DELETE FROM mail_acl WHERE mailbox_id=?1 AND identifier=?2", **id, identifier)
                            : conn.query(
                                  "INSERT INTO mail_acl (mailbox_id, identifier, rights) VALUES (?1,?2,?3) "
                                  "ON CONFLICT (mailbox_id, identifier) DO UPDATE SET rights=excluded.rights",
                                  **id, identifier, rights);
    if (!r) return r.error();
    if (auto cr = t->commit(); !cr) return cr.error();
    return existed;
  }

  result<std::vector<acl_grant>> of_mailbox(std::string_view owner, std::string_view mailbox) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    return grants((*c)->query(std::string(acl_cols) + "WHERE m.account=?1 AND m.name=?2 ORDER BY a.identifier", owner,
                              mailbox));
  }

  result<std::vector<acl_grant>> for_user(std::string_view user) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    // Asked by every LIST. One index search per identifier: SQLite builds a temporary table for
    // every run of an IN list, which costs more than this whole query when, as for most users,
    // nothing is shared with them.
    static const std::string q = std::string(acl_cols) + "WHERE a.identifier = ?1 AND m.account<>?1 UNION ALL " +
                                 acl_cols + "WHERE a.identifier = 'anyone' AND m.account<>?1 ORDER BY 1, 2";
    return grants((*c)->query(q, user));
  }

  result<std::vector<acl_grant>> of_owner(std::string_view owner) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    return grants((*c)->query(std::string(acl_cols) + "WHERE m.account=?1 ORDER BY m.name, a.identifier", owner));
  }

 private:
  static result<std::vector<acl_grant>> grants(const result<sql::rows>& r) {
    if (!r) return r.error();
    std::vector<acl_grant> out;
    out.reserve(r->size());
    for (int i = 0; i < r->size(); ++i) out.push_back({r->text(i, 0), r->text(i, 1), r->text(i, 2), r->text(i, 3)});
    return out;
  }

  std::unique_ptr<sql::database> db_;
};

}  // namespace

result<std::unique_ptr<acl_store>> acl_store::open(const std::string& target) {
  auto d = sql::open_migrated(target, "mail_acl", migrations);
  if (!d) return d.error();
  return std::unique_ptr<acl_store>(std::make_unique<sql_acl_store>(std::move(*d)));
}

}  // namespace hearth::mail
