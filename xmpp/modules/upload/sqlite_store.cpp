// upload_store on SQLite (store.hpp).
#include <set>

#include "core/db/db.hpp"
#include "xmpp/modules/upload/store.hpp"

namespace hearth::xmpp::upload {

namespace {

constexpr db::migration migrations[] = {
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

stored_file read_file(db::statement& st) {
  stored_file f;
  f.id = st.column_text(0);
  f.owner = st.column_text(1);
  f.filename = st.column_text(2);
  f.content_type = st.column_text(3);
  f.size = static_cast<std::uint64_t>(st.column_int64(4));
  f.blob = st.column_text(5);
  f.created = st.column_int64(6);
  return f;
}

class sqlite_store final : public upload_store {
 public:
  explicit sqlite_store(db::database d) : db_(std::move(d)) {}

  bool add(const stored_file& f) override {
    auto& c = db_.get();
    // Principle 3: the uploader is told 201 only once the row is on disk.
    db::transaction tx(c, db::durability::full);
    auto st = c.prepare("SELECT 1 FROM upload_file WHERE id = ?1").value();
    st.bind_all(f.id);
    if (st.step().value()) return false;
    st.reset();
    c.prepare(std::string("INSERT INTO upload_file(") + columns + ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        .value()
        .bind_all(f.id, f.owner, f.filename, f.content_type, static_cast<std::int64_t>(f.size), f.blob, f.created)
        .run()
        .value();
    tx.commit().value();
    return true;
  }

  std::optional<stored_file> find(std::string_view id) override {
    auto st = db_.get().prepare(std::string("SELECT ") + columns + " FROM upload_file WHERE id = ?1").value();
    st.bind_all(id);
    if (!st.step().value()) return std::nullopt;
    auto f = read_file(st);
    st.reset();
    return f;
  }

  std::uint64_t used(std::string_view owner) override {
    auto st = db_.get().prepare("SELECT COALESCE(SUM(size), 0) FROM upload_file WHERE owner = ?1").value();
    st.bind_all(owner);
    std::uint64_t n = st.step().value() ? static_cast<std::uint64_t>(st.column_int64(0)) : 0;
    st.reset();
    return n;
  }

  std::size_t expire(std::int64_t before, const std::function<void(const std::string&)>& remove_blob) override {
    auto& c = db_.get();
    db::transaction tx(c, db::durability::full);
    std::set<std::string> blobs;
    std::size_t n = 0;
    {
      auto st = c.prepare("SELECT blob FROM upload_file WHERE created < ?1").value();
      st.bind_all(before);
      while (st.step().value()) {
        blobs.insert(st.column_text(0));
        ++n;
      }
      st.reset();
    }
    if (n == 0) return 0;
    c.prepare("DELETE FROM upload_file WHERE created < ?1").value().bind_all(before).run().value();
    // The blob store is shared and content-addressed: a file byte for byte equal to a stored
    // mail message has the message's blob, which must outlive the upload. Mail's rows are in
    // this same database, read under this same write lock.
    const bool mail_here = [&] {
      auto st = c.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mail_messages'").value();
      return st.step().value();
    }();
    for (const auto& b : blobs) {
      auto st = c.prepare("SELECT 1 FROM upload_file WHERE blob = ?1 LIMIT 1").value();
      st.bind_all(b);
      bool still = st.step().value();
      st.reset();
      if (!still && mail_here) {
        auto m = c.prepare("SELECT 1 FROM mail_messages WHERE blob_id = ?1 LIMIT 1").value();
        m.bind_all(b);
        still = m.step().value();
      }
      if (!still) remove_blob(b);
    }
    tx.commit().value();
    return n;
  }

  std::vector<std::string> blob_ids() override {
    auto st = db_.get().prepare("SELECT DISTINCT blob FROM upload_file").value();
    std::vector<std::string> out;
    while (st.step().value()) out.push_back(st.column_text(0));
    st.reset();
    return out;
  }

 private:
  db::database db_;
};

}  // namespace

result<std::unique_ptr<upload_store>> open_sqlite_store(const std::filesystem::path& file) {
  auto d = db::database::open(file);
  if (!d) return d.error();
  auto v = db::migrate(d->get(), "upload", migrations);
  if (!v) return v.error();
  return std::unique_ptr<upload_store>(new sqlite_store(std::move(*d)));
}

}  // namespace hearth::xmpp::upload
