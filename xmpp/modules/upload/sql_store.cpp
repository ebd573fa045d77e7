// upload_store on core/sql (store.hpp): one implementation for SQLite and PostgreSQL, under its
// own migration component ("upload") with the table of the former SQLite-only store, so
// existing hearth.db files open unchanged. Results are unwrapped with value(), which throws
// hearth::error_exception.
#include <set>

#include "core/blob/sql_rows.hpp"
#include "core/sql/sql.hpp"
#include "xmpp/modules/upload/store.hpp"

namespace hearth::xmpp::upload {

namespace {

// Never edit a released migration: add the next one.
constexpr sql::migration migrations[] = {
    {1, "upload: files of HTTP File Upload (XEP-0363)", R"sql(
CREATE TABLE upload_file(
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, filename TEXT NOT NULL, content_type TEXT NOT NULL,
  size INTEGER NOT NULL, blob TEXT NOT NULL, created INTEGER NOT NULL
);
CREATE INDEX upload_file_owner ON upload_file(owner);
CREATE INDEX upload_file_created ON upload_file(created);
CREATE INDEX upload_file_blob ON upload_file(blob);
)sql"},
};

constexpr const char* columns = "id, owner, filename, content_type, size, blob, created";

stored_file read_file(const sql::rows& r, int i) {
  return {r.text(i, 0), r.text(i, 2), r.text(i, 1), r.text(i, 3), static_cast<std::uint64_t>(r.int64(i, 4)),
          r.text(i, 5), r.int64(i, 6)};
}

// Whether the mail store's message table is in this database: the blob store is shared and
// content-addressed, so a file byte for byte equal to a stored message has the message's blob.
bool has_table(sql::connection& c, std::string_view table) {
  const char* q = c.kind() == sql::engine::postgres
                      ? "SELECT 1 WHERE to_regclass(CAST(?1 AS TEXT)) IS NOT NULL"
                      : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1";
  return !c.query(q, table).value().empty();
}

class sql_store final : public upload_store {
 public:
  explicit sql_store(std::unique_ptr<sql::database> d) : db_(std::move(d)) {}

  bool add(const stored_file& f) override {
    auto& c = db_->get();
    // Principle 3: the uploader is told 201 only once the row is on disk.
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    auto r = c.query(std::string("INSERT INTO upload_file(") + columns +
                         ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(id) DO NOTHING",
                     f.id, f.owner, f.filename, f.content_type, f.size, f.blob, f.created)
                 .value();
    if (r.affected() == 0) return false;  // a slot is used once
    tx.commit().value();
    return true;
  }

  std::optional<stored_file> find(std::string_view id) override {
    auto r = db_->get().query(std::string("SELECT ") + columns + " FROM upload_file WHERE id = ?1", id).value();
    if (r.empty()) return std::nullopt;
    return read_file(r, 0);
  }

  std::uint64_t used(std::string_view owner) override {
    auto n = db_->get().query_int("SELECT COALESCE(SUM(size), 0) FROM upload_file WHERE owner = ?1", owner).value();
    return static_cast<std::uint64_t>(n.value_or(0));
  }

  std::size_t expire(std::int64_t before, const std::function<void(const std::string&)>& remove_blob) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    std::set<std::string> blobs;
    auto r = c.query("SELECT blob FROM upload_file WHERE created < ?1", before).value();
    if (r.empty()) return 0;
    for (int i = 0; i < r.size(); ++i) blobs.insert(r.text(i, 0));
    c.query("DELETE FROM upload_file WHERE created < ?1", before).value();
    // A blob another file or a mail message still names must outlive this file. Mail's rows
    // are in this same database, read under this same write lock.
    const bool mail_here = has_table(c, "mail_messages");
    // Deleted here rather than by the blob store, whose own transaction would wait for ours.
    const bool blob_rows_here = has_table(c, "blob_parts");
    for (const auto& b : blobs) {
      bool still = !c.query("SELECT 1 FROM upload_file WHERE blob = ?1 LIMIT 1", b).value().empty();
      if (!still && mail_here)
        still = !c.query("SELECT 1 FROM mail_messages WHERE blob_id = ?1 LIMIT 1", b).value().empty();
      if (still) continue;
      if (blob_rows_here) blob::sql_rows::erase(c, b).value();
      remove_blob(b);
    }
    tx.commit().value();
    return static_cast<std::size_t>(r.size());
  }

  std::vector<std::string> blob_ids() override {
    auto r = db_->get().query("SELECT DISTINCT blob FROM upload_file").value();
    std::vector<std::string> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(r.text(i, 0));
    return out;
  }

 private:
  std::unique_ptr<sql::database> db_;
};

}  // namespace

result<std::unique_ptr<upload_store>> open_store(const std::string& target) {
  auto d = sql::open_migrated(target, "upload", migrations);
  if (!d) return d.error();
  return std::unique_ptr<upload_store>(new sql_store(std::move(*d)));
}

}  // namespace hearth::xmpp::upload
