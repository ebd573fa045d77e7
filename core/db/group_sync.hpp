// Internal to core/db (and its tests): group commit for durable transactions.
//
// A durable commit (durability::full) used to run with synchronous=FULL, so SQLite fsync'd the
// write-ahead log inside COMMIT while the transaction still held the file's write lock: every
// other writer (a STORE, an EXPUNGE, the next APPEND) queued behind a 5-30 ms fsync on a busy
// disk, and N concurrent APPENDs cost N fsyncs one after the other. Now the commit is written
// with synchronous=NORMAL (into the WAL, in the page cache), the write lock is released, and
// the committer waits here until one fsync of the WAL that *began after its commit was
// written* has completed. Commits that arrive while an fsync runs share the next one. So
// commit() still returns only once the transaction is on disk (ARCHITECTURE.md principle 3),
// but writers no longer hold the lock across the disk, and one fsync serves many commits.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>

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

// The group of a database file (shared by every connection of this process to that path),
// syncing its "-wal" file. Null for ":memory:" and an empty path.
std::shared_ptr<group_sync> sync_group(const std::filesystem::path& db_path);

}  // namespace hearth::db::detail
