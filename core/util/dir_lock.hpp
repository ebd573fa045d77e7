// One `hearth serve` per data directory: an exclusive lock on DATA_DIR/hearth.lock, held for
// the life of the process. A second server on the same directory would clean up files the
// first is about to commit (queue spool, blob temp files) and race it for every port.
//
// The lock is a POSIX record lock (fcntl F_SETLK): the kernel drops it when the process ends,
// even after kill -9, so a stale file never blocks a restart. The file also holds the PID, for
// people; the PID in the error comes from the kernel (F_GETLK). Such locks belong to the
// process: nothing else in the process may open and close the lock file, and a second
// acquire() in the same process succeeds (use another process to test a conflict).
//
// The administrative commands (`hearth user add`, `hearth queue flush`, ...) do not take the
// lock: they only change rows in SQLite, which has its own locking, so they work beside the
// server.
#pragma once
#include <filesystem>

#include "core/util/result.hpp"

namespace hearth::util {

class dir_lock {
 public:
  // Takes the lock without waiting. Errors: "lock.held" (message names the directory and the
  // PID holding it), "lock.io" (cannot create or lock the file).
  static result<dir_lock> acquire(const std::filesystem::path& dir);

  dir_lock(dir_lock&& o) noexcept : fd_(o.fd_), file_(std::move(o.file_)) { o.fd_ = -1; }
  dir_lock& operator=(dir_lock&&) = delete;
  dir_lock(const dir_lock&) = delete;
  ~dir_lock();  // releases the lock; the file stays (removing it would race a new holder)

  const std::filesystem::path& file() const { return file_; }

 private:
  dir_lock(int fd, std::filesystem::path f) : fd_(fd), file_(std::move(f)) {}
  int fd_ = -1;
  std::filesystem::path file_;
};

}  // namespace hearth::util
