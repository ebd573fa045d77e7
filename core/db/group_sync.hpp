// Internal to core/db (and its tests): group commit for durable transactions.
//
// A durable commit (durability::full) is written with synchronous=NORMAL (into the WAL, in the
// page cache), the write lock is released, and the committer waits here until one fsync of the
// WAL that *began after its commit was written* has completed. Commits that arrive while an
// fsync runs share the next one. So commit() returns only once the transaction is on disk
// (ARCHITECTURE.md principle 3), yet no writer (a STORE, an EXPUNGE, the next APPEND) waits
// behind another's fsync while holding the file's write lock, and one fsync serves many
// commits instead of N concurrent APPENDs costing N fsyncs one after the other.
#pragma once
#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace hearth::db::detail {

class group_sync {
 public:
  // sync() makes everything written to the file so far durable; false on failure.
  explicit group_sync(std::function<bool()> sync) : sync_(std::move(sync)) {}

  // Call after the commit's bytes were written. Returns true once a sync() that started after
  // this call began has succeeded; false if the sync covering this call failed. The caller
  // that finds no sync running runs it itself (on its own thread); the others wait for it.
  // Thread-safe.
  bool wait_durable();

  // For tests: how many waits were asked for, and how many sync() calls ran.
  std::uint64_t requested() const;
  std::uint64_t syncs() const;

 private:
  std::function<bool()> sync_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t requested_ = 0;  // tickets handed out, one per wait_durable()
  std::uint64_t synced_ = 0;     // every ticket up to this is durable
  std::uint64_t failed_ = 0;     // every ticket up to this (and above synced_) saw its sync fail
  std::uint64_t syncs_ = 0;
  bool syncing_ = false;
};

// fdatasync of a database file's "-wal" file, through one descriptor kept open across calls
// (opening and closing the file per sync cost two system calls on every group commit), opened
// again when the path names another file than the one held. Not thread-safe: group_sync runs
// one sync at a time.
class wal_file {
 public:
  wal_file(std::string wal, std::string db) : wal_(std::move(wal)), db_(std::move(db)) {}
  wal_file(const wal_file&) = delete;
  wal_file& operator=(const wal_file&) = delete;
  ~wal_file();

  // Makes everything written to the WAL so far durable (or, with no WAL, the database file);
  // false on failure.
  bool sync();

  // For tests: how many times the WAL was opened.
  std::uint64_t opens() const { return opens_; }

 private:
  bool sync_database();
  void forget();

  std::string wal_, db_;
  int fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  std::uint64_t opens_ = 0;
};

// The group of a database file (shared by every connection of this process to that path),
// syncing its "-wal" file. Null for ":memory:" and an empty path.
std::shared_ptr<group_sync> sync_group(const std::filesystem::path& db_path);

}  // namespace hearth::db::detail
