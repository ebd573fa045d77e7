#include "core/blob/sql_rows.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/blob/db_store.hpp"
#include "core/sql/pipeline.hpp"

namespace hearth::blob {

namespace sql_rows {

namespace {

const sql::migration steps[] = {
    {1, "blob parts",
     "CREATE TABLE blob_parts(id TEXT NOT NULL, part INTEGER NOT NULL, size INTEGER NOT NULL, data BLOB NOT NULL, "
     "PRIMARY KEY(id, part)) WITHOUT ROWID"},
    // Parts keyed by their content hash scatter inserts over the whole B-tree, and a
    // WITHOUT ROWID tree keeps each ~10 KB row (and its overflow chain) in its interior pages
    // too, a few rows per page: every delivery read and rewrote a deep path of random pages.
    // A rowid table appends each part at its right edge; only the small (id, part) index is
    // random, and it holds about a hundred entries per page. The columns stay the same, so
    // every statement and `hearth db copy` are unchanged; on PostgreSQL, a heap with an index
    // either way, this only rewrites the table once.
    {2, "blob parts in insertion order, keyed by an index",
     "CREATE TABLE blob_parts_by_row(id TEXT NOT NULL, part INTEGER NOT NULL, size INTEGER NOT NULL, "
     "data BLOB NOT NULL);\n"
     "INSERT INTO blob_parts_by_row(id, part, size, data) SELECT id, part, size, data FROM blob_parts;\n"
     "DROP TABLE blob_parts;\n"
     "ALTER TABLE blob_parts_by_row RENAME TO blob_parts;\n"
     "CREATE UNIQUE INDEX blob_parts_key ON blob_parts(id, part);"},
};

// Bound as BLOB: a TEXT parameter would make SQLite count characters, not octets, and
// PostgreSQL refuse bytes that are not UTF-8.
std::span<const std::uint8_t> octets(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::span<const sql::migration> migrations() { return steps; }

result<void> insert_part(sql::connection& c, std::string_view id, std::int64_t part, std::uint64_t total,
                         std::string_view data) {
  auto r = c.query("INSERT INTO blob_parts(id, part, size, data) VALUES(?1, ?2, ?3, ?4) ON CONFLICT (id, part) DO NOTHING",
                   id, part, static_cast<std::int64_t>(total), octets(data));
  if (!r) return r.error();
  return {};
}

result<void> insert(sql::connection& c, std::string_view id, std::string_view data) {
  // One part (every body under the inline limit): no lookup first, ON CONFLICT keeps a blob
  // that is there already, and the statement is queued (on PostgreSQL it travels with the
  // transaction's next statement or its COMMIT, not in a round trip of its own).
  if (data.size() <= part_bytes)
    return sql::queue(c, "INSERT INTO blob_parts(id, part, size, data) VALUES(?1, 0, ?2, ?3) ON CONFLICT (id, part) DO NOTHING",
                   id, static_cast<std::int64_t>(data.size()), octets(data));
  auto have = size_of(c, id);
  if (!have) return have.error();
  if (*have) return {};
  std::int64_t part = 0;
  do {
    auto piece = data.substr(0, part_bytes);
    if (auto r = insert_part(c, id, part++, data.size(), piece); !r) return r;
    data.remove_prefix(piece.size());
  } while (!data.empty());
  return {};
}

result<bool> erase(sql::connection& c, std::string_view id) {
  auto r = c.query("DELETE FROM blob_parts WHERE id = ?1", id);
  if (!r) return r.error();
  return r->affected() > 0;
}

result<std::optional<std::uint64_t>> size_of(sql::connection& c, std::string_view id) {
  auto r = c.query_int("SELECT size FROM blob_parts WHERE id = ?1 AND part = 0", id);
  if (!r) return r.error();
  if (!*r) return std::optional<std::uint64_t>{};
  return std::optional<std::uint64_t>(static_cast<std::uint64_t>(**r));
}

namespace {

// Up to `want` octets of a blob of `size` octets, part by part: one statement for all parts
// would hold every part twice in memory.
result<std::string> read_parts(sql::connection& c, std::string_view id, std::uint64_t size, std::uint64_t want) {
  std::string out;
  out.reserve(static_cast<std::size_t>(std::min(size, want)));
  for (std::int64_t part = 0; out.size() < size && out.size() < want; ++part) {
    auto r = c.query("SELECT data FROM blob_parts WHERE id = ?1 AND part = ?2", id, part);
    if (!r) return r.error();
    if (r->empty()) break;
    auto b = r->bytes(0, 0);
    if (b.empty()) break;
    out.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  // Parts are written in one transaction: a short blob means a damaged table.
  if (out.size() < std::min(size, want)) return fail("db.error", "blob " + std::string(id) + " has missing parts");
  if (out.size() > want) out.resize(static_cast<std::size_t>(want));
  return out;
}

}  // namespace

result<std::optional<std::string>> get(sql::connection& c, std::string_view id, std::uint64_t max_size) {
  auto size = size_of(c, id);
  if (!size) return size.error();
  if (!*size) return std::optional<std::string>{};
  if (**size > max_size)
    return fail("blob.too_big", "blob " + std::string(id) + " is " + std::to_string(**size) +
                                    " bytes, over the limit of " + std::to_string(max_size));
  auto out = read_parts(c, id, **size, **size);
  if (!out) return out.error();
  return std::optional<std::string>(std::move(*out));
}

result<std::optional<std::string>> head(sql::connection& c, std::string_view id, std::uint64_t n) {
  auto size = size_of(c, id);
  if (!size) return size.error();
  if (!*size) return std::optional<std::string>{};
  auto out = read_parts(c, id, **size, n);
  if (!out) return out.error();
  return std::optional<std::string>(std::move(*out));
}

}  // namespace sql_rows

namespace {

// Reads a blob of `size` octets part by part, keeping the last part fetched: a caller reading
// forward in pieces smaller than a part fetches each part once.
class part_reader final : public reader {
 public:
  part_reader(sql::database& db, std::string id, std::uint64_t size) : db_(db), id_(std::move(id)), size_(size) {}

  std::uint64_t size() const override { return size_; }

  result<std::string> read(std::uint64_t offset, std::size_t n) override {
    std::string out;
    if (offset >= size_) return out;
    const std::uint64_t end = offset + std::min<std::uint64_t>(n, size_ - offset);
    out.reserve(static_cast<std::size_t>(end - offset));
    while (offset < end) {
      const std::int64_t part = static_cast<std::int64_t>(offset / sql_rows::part_bytes);
      if (auto r = fetch(part); !r) return r.error();
      const std::uint64_t begin = static_cast<std::uint64_t>(part) * sql_rows::part_bytes;
      const std::size_t from = static_cast<std::size_t>(offset - begin);
      const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(end - offset, data_.size() - from));
      out.append(data_, from, take);
      offset += take;
    }
    return out;
  }

 private:
  result<void> fetch(std::int64_t part) {
    if (part == part_) return {};
    auto c = db_.try_get();
    if (!c) return c.error();
    auto r = (*c)->query("SELECT data FROM blob_parts WHERE id = ?1 AND part = ?2", id_, part);
    if (!r) return r.error();
    const std::uint64_t begin = static_cast<std::uint64_t>(part) * sql_rows::part_bytes;
    const std::uint64_t want = std::min<std::uint64_t>(sql_rows::part_bytes, size_ - begin);
    // Parts are written in one transaction with the blob's size: a part that is absent or of
    // another length means a damaged table, and the caller must not send a truncated body.
    if (r->empty())
      return fail("blob.missing_part", "blob " + id_ + " has no part " + std::to_string(part) + " (" +
                                           std::to_string(size_) + " bytes in all)");
    auto b = r->bytes(0, 0);
    if (b.size() != want)
      return fail("blob.missing_part", "blob " + id_ + " part " + std::to_string(part) + " holds " +
                                           std::to_string(b.size()) + " bytes, not " + std::to_string(want));
    part_ = -1;  // not valid while being replaced
    data_.assign(reinterpret_cast<const char*>(b.data()), b.size());
    part_ = part;
    return {};
  }

  sql::database& db_;
  std::string id_;
  std::uint64_t size_;
  std::int64_t part_ = -1;
  std::string data_;
};

class sql_blobs final : public db_store {
 public:
  explicit sql_blobs(std::unique_ptr<sql::database> db) : db_(std::move(db)) {}

  result<void> put(std::string_view id, std::string_view data) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    // Checked before taking the write lock: content that is there costs no transaction.
    auto have = sql_rows::size_of(**c, id);
    if (!have) return have.error();
    if (*have) return {};
    auto t = sql::transaction::begin(**c, sql::durability::full);
    if (!t) return t.error();
    if (auto r = sql_rows::insert(**c, id, data); !r) return r;
    return t->commit();
  }

  result<void> put_file(std::string_view id, const std::filesystem::path& file) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto have = sql_rows::size_of(**c, id);
    if (!have) return have.error();
    if (*have) return {};
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail("blob.io", "open " + file.string() + ": " + std::strerror(errno));
    struct closer {
      int fd;
      ~closer() { ::close(fd); }
    } close_it{fd};
    off_t total = ::lseek(fd, 0, SEEK_END);
    if (total < 0 || ::lseek(fd, 0, SEEK_SET) != 0) return fail("blob.io", "seek " + file.string());
    auto t = sql::transaction::begin(**c, sql::durability::full);
    if (!t) return t.error();
    std::string buf(sql_rows::part_bytes, '\0');
    std::uint64_t done = 0;
    std::int64_t part = 0;
    do {
      std::size_t got = 0;
      while (got < buf.size()) {
        ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail("blob.io", "read " + file.string() + ": " + std::strerror(errno));
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
      }
      if (auto r = sql_rows::insert_part(**c, id, part++, static_cast<std::uint64_t>(total),
                                         std::string_view(buf.data(), got));
          !r)
        return r;
      done += got;
      if (got < buf.size()) break;
    } while (done < static_cast<std::uint64_t>(total));
    if (done != static_cast<std::uint64_t>(total)) return fail("blob.io", "short read of " + file.string());
    return t->commit();
  }

  result<std::optional<std::string>> get(std::string_view id, std::uint64_t max_size) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    return sql_rows::get(**c, id, max_size);
  }

  result<std::optional<std::string>> head(std::string_view id, std::uint64_t n) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    return sql_rows::head(**c, id, n);
  }

  result<std::unique_ptr<reader>> open_reader(std::string_view id) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto size = sql_rows::size_of(**c, id);
    if (!size) return size.error();
    if (!*size) return std::unique_ptr<reader>{};
    return std::unique_ptr<reader>(std::make_unique<part_reader>(*db_, std::string(id), **size));
  }

  result<std::optional<std::uint64_t>> size_of(std::string_view id) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    return sql_rows::size_of(**c, id);
  }

  result<bool> remove(std::string_view id) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto t = sql::transaction::begin(**c);
    if (!t) return t.error();
    auto r = sql_rows::erase(**c, id);
    if (!r) return r.error();
    if (auto cr = t->commit(); !cr) return cr.error();
    return *r;
  }

  result<std::vector<std::string>> ids() override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto r = (*c)->query("SELECT id FROM blob_parts WHERE part = 0 ORDER BY id");
    if (!r) return r.error();
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(r->size()));
    for (int i = 0; i < r->size(); ++i) out.push_back(r->text(i, 0));
    return out;
  }

 private:
  std::unique_ptr<sql::database> db_;
};

}  // namespace

result<std::unique_ptr<db_store>> db_store::open(const std::string& target) {
  auto db = sql::open_migrated(target, sql_rows::component, sql_rows::migrations());
  if (!db) return db.error();
  return std::unique_ptr<db_store>(std::make_unique<sql_blobs>(std::move(*db)));
}

}  // namespace hearth::blob
