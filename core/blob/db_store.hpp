// Blobs kept in the database rather than in files: the interface the blob store reads and writes
// them through (one implementation on core/sql, for SQLite and PostgreSQL: sql_rows.cpp).
//
// Why in the database: a small message written in the same transaction as its mail row costs
// one WAL fsync (shared across sessions by the group commit) instead of three (file, folder,
// WAL); and nodes on one PostgreSQL need no shared folder when every blob is there
// (`[database] blob_store = "database"`). Content addressing is the file store's: the id is the
// SHA-256 of the bytes, one copy per content, and whoever names a blob keeps the reference
// (the mail store removes a blob with its last message, files and rows alike).
//
// Errors: "blob.too_big" (get over max_size), "blob.io" (put_file cannot read its file), and
// the database's "db.*".
// Thread-safety: any number of threads at once (one database connection per thread). Every call
// blocks: run it on the blocking pool.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/blob/reader.hpp"
#include "core/util/result.hpp"

namespace hearth::blob {

class db_store {
 public:
  virtual ~db_store() = default;

  // Opens the blob table on `target` (a SQLite file or a PostgreSQL URL, see core/sql open())
  // and applies its migrations. Errors: "db.open", "db.schema_newer", "db.migration".
  static result<std::unique_ptr<db_store>> open(const std::string& target);

  // Stores `data` under `id` (the caller computed id_of(data)); durable when it returns.
  // Content already stored is left as it is.
  virtual result<void> put(std::string_view id, std::string_view data) = 0;
  // The same, reading the bytes from a file (a finished streaming write), part by part, so a
  // large blob is never held in memory whole.
  virtual result<void> put_file(std::string_view id, const std::filesystem::path& file) = 0;
  // The whole content, or nullopt when the database does not hold it.
  virtual result<std::optional<std::string>> get(std::string_view id, std::uint64_t max_size) = 0;
  // The first `n` octets (fewer when the blob is shorter), or nullopt when absent.
  virtual result<std::optional<std::string>> head(std::string_view id, std::uint64_t n) = 0;
  // A reader fetching the blob's parts as reads reach them (reader.hpp), or nullptr when the
  // database does not hold the blob.
  virtual result<std::unique_ptr<reader>> open_reader(std::string_view id) = 0;
  // Size in bytes, or nullopt when absent.
  virtual result<std::optional<std::uint64_t>> size_of(std::string_view id) = 0;
  // Deletes it; false when it was not there.
  virtual result<bool> remove(std::string_view id) = 0;
  // Every id held, sorted.
  virtual result<std::vector<std::string>> ids() = 0;
};

}  // namespace hearth::blob
