// Content-addressed blob store on the local file system (ARCHITECTURE.md principle 4: the
// default blob backend; an S3-compatible one can sit behind the same calls later).
//
//   hearth::blob::store blobs(cfg.data_dir / "blobs");
//   blobs.cleanup_temp();                       // once, at startup
//   auto id = blobs.put(message);               // id = lowercase hex SHA-256 of the content
//   auto w = blobs.begin(); w->write(chunk)...; auto id = w->commit();   // streaming
//   auto text = blobs.get(*id);
//
// Layout: ROOT/ab/cdef... (the first two hex digits name the folder, the other 62 the file),
// ROOT/tmp/ for writes in progress. Durability (principle 3): a blob is written to a temp file,
// fsync'd, renamed into place and its folder fsync'd before put()/commit() return, so once they
// return the content survives a crash or kill -9. Writing content that is already stored
// changes nothing (the existing file is fsync'd again, in case an earlier writer crashed
// between rename and folder fsync).
//
// A database tier (attach()): content may also live in the database (db_store.hpp): small
// content (up to `inline_max` octets) always, everything when `all` is set. Reads (get,
// size_of, exists) look at the file first, then the database, so data written before the tier
// existed, or under another setting, stays readable; remove() deletes both. path_of() names
// only the file: readers that must work with both kinds use get().
//
// Ids are checked everywhere: anything but exactly 64 characters [0-9a-f] is rejected with
// "blob.bad_id", so no id can name a path outside the root.
// Errors: "blob.bad_id", "blob.not_found", "blob.too_big", "blob.io" (message says which file
// and errno text), "blob.state" (writer used after commit).
// Thread-safety: a store may be used from any number of threads (and processes) at once; each
// writer belongs to one thread at a time. Every call blocks on disk: from a session coroutine,
// run it on the blocking pool (ARCHITECTURE.md "Threads and storage").
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/util/result.hpp"

namespace hearth::blob {

// True for exactly 64 characters of lowercase hex.
bool valid_id(std::string_view id);

// Lowercase hex SHA-256 of data (the id put() would give it).
std::string id_of(std::string_view data);

class store;
class db_store;

// Where new content goes once a database is attached.
struct database_options {
  // Content up to this size goes in the database. The mail store writes such a message in its
  // own transaction (sql_rows.hpp): one fsync per accepted copy.
  std::uint64_t inline_max = 64 * 1024;
  bool all = false;  // every blob in the database (several nodes without a shared folder)
};

// A blob being written piece by piece. Move-only. Destroying it (or abandoning it after an
// error) without commit() removes its temp file.
class writer {
 public:
  writer(writer&& other) noexcept;
  writer& operator=(writer&& other) noexcept;
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;
  ~writer();

  // Appends. Errors: "blob.io", "blob.too_big" when the content would pass the writer's
  // max_size (the temp file is removed then, so a client sending too much costs no disk),
  // "blob.state" after commit() or a failed write.
  result<void> write(std::string_view chunk);
  // Makes the content durable under its id and returns the id. Once only.
  result<std::string> commit();
  std::uint64_t size() const { return size_; }

 private:
  friend class store;
  writer(const store* s, int fd, std::filesystem::path temp, void* sha, std::uint64_t max_size);
  void abandon() noexcept;

  const store* store_ = nullptr;
  int fd_ = -1;
  std::filesystem::path temp_;
  void* sha_ = nullptr;  // EVP_MD_CTX*, kept out of the header
  std::uint64_t size_ = 0;
  std::uint64_t max_size_ = 0;
};

class store {
 public:
  // Does not touch the disk; folders are made on first use.
  explicit store(std::filesystem::path root);
  ~store();
  store(store&&) noexcept;

  // Adds the database tier (see the top of this file). Call before the store is shared
  // between threads.
  void attach(std::unique_ptr<db_store> db, database_options o);
  // The attached database tier, or nullptr.
  db_store* database() const { return db_.get(); }
  // Largest content that goes in the database (0 without one).
  std::uint64_t inline_limit() const;

  const std::filesystem::path& root() const { return root_; }

  // Stores data; returns its id. Errors: "blob.io".
  result<std::string> put(std::string_view data) const;
  // Starts a streaming write (a temp file in ROOT/tmp), of at most max_size octets (see
  // writer::write). The temp file is on the same file system as the blobs, so commit() of
  // content that ends up a file is a rename, and content the database tier takes is copied
  // into it part by part (db_store::put_file): memory stays bounded either way. Errors: "blob.io".
  result<writer> begin(std::uint64_t max_size = no_limit) const;

  // The whole content. Errors: "blob.bad_id", "blob.not_found", "blob.too_big" when the file is
  // larger than max_size (callers that may meet big blobs use head(), or stream from path_of()
  // when the blob is a file), "blob.io", "db.*" (the database tier).
  result<std::string> get(std::string_view id, std::uint64_t max_size = default_max_get) const;
  // The first `n` octets (the whole blob when shorter): what a reader that looks at the header
  // or a bounded prefix needs, for blobs in files and in the database alike.
  // Errors: "blob.bad_id", "blob.not_found", "blob.io", "db.*".
  result<std::string> head(std::string_view id, std::uint64_t n) const;
  // Where the blob's file lives (whether or not it exists; a blob in the database has none).
  // Errors: "blob.bad_id".
  result<std::filesystem::path> path_of(std::string_view id) const;
  // False for a bad id.
  bool exists(std::string_view id) const;
  // Size in bytes. Errors: "blob.bad_id", "blob.not_found", "blob.io".
  result<std::uint64_t> size_of(std::string_view id) const;
  // Deletes the blob (callers keep reference counts: content is shared by every message with
  // the same bytes). Errors: "blob.bad_id", "blob.not_found", "blob.io".
  result<void> remove(std::string_view id) const;

  // Deletes the blob's file only, not its database rows: for a store that deletes those in its
  // own write transaction (blob::sql_rows::erase), in which remove() would wait for the lock
  // that transaction holds. Errors: as remove().
  result<void> remove_file(std::string_view id) const;

  // Deletes every file in ROOT/tmp: leftovers of writes interrupted by a crash. Call at startup,
  // before any writer exists (it would delete a live writer's file). Returns how many.
  result<std::size_t> cleanup_temp() const;
  // The same for a ROOT shared by several processes (nodes on one database): only files
  // unmodified for `min_age`, since another node's writers may be live. Errors: "blob.io".
  result<std::size_t> cleanup_temp(std::chrono::seconds min_age) const;

  static constexpr std::uint64_t default_max_get = 256ull * 1024 * 1024;
  static constexpr std::uint64_t no_limit = ~std::uint64_t{0};

 private:
  friend class writer;
  result<void> ensure_dir(const std::filesystem::path& dir) const;
  // Renames a fully written, fsync'd temp file to the blob's place and fsyncs the folder.
  result<void> install(const std::filesystem::path& temp, const std::string& id) const;

  // Whether content of `size` octets goes in the database.
  bool to_database(std::uint64_t size) const { return db_ && size <= inline_limit(); }

  std::filesystem::path root_;
  std::unique_ptr<db_store> db_;
  database_options db_opts_;
};

}  // namespace hearth::blob
