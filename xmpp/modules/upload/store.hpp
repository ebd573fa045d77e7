// What HTTP File Upload keeps: one row per uploaded file (its owner, name, type, size and
// blob), enough to serve downloads, count quotas, expire old files and list the blobs a
// backup must copy. The slots themselves are signed, not stored (proto/slot.hpp).
//
// Errors: a database failure throws hearth::error_exception. Thread-safety: every method may
// be called from any thread.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::xmpp::upload {

struct stored_file {
  std::string id;  // the slot's id (proto/slot.hpp valid_id)
  std::string filename, owner, content_type;
  std::uint64_t size = 0;
  std::string blob;  // blob store id
  std::int64_t created = 0;  // seconds since the epoch
};

class upload_store {
 public:
  virtual ~upload_store() = default;
  // Records an uploaded file, durably. False when the id is taken (a slot is used once).
  virtual bool add(const stored_file& f) = 0;
  virtual std::optional<stored_file> find(std::string_view id) = 0;
  // Octets stored for this owner (the per-user quota).
  virtual std::uint64_t used(std::string_view owner) = 0;
  // Forgets every file created before `before`; calls remove_blob for each blob that no
  // remaining file names, inside the write transaction, so a backup listing blob_ids() under
  // the same database's lock never names a removed blob. remove_blob deletes the blob's file;
  // the rows of a blob kept in the database (blob::db_store) go in that same transaction.
  // Returns how many files went.
  virtual std::size_t expire(std::int64_t before, const std::function<void(const std::string& blob)>& remove_blob) = 0;
  // Every blob an uploaded file names (for backups).
  virtual std::vector<std::string> blob_ids() = 0;
};

// Opens the store (table upload_file, migration component "upload") on `target`: a SQLite
// file (DATA_DIR/hearth.db, where the backup takes its lock and lists blobs) or a PostgreSQL
// URL (see sql::open). Errors: "db.open", "db.migration", "db.schema_newer".
result<std::unique_ptr<upload_store>> open_store(const std::string& target);

}  // namespace hearth::xmpp::upload
