// Whether a process other than this one may have written a SQLite file (in WAL mode) since the
// last look, for a reader that keeps what it read while this process's own writers tell it
// what they change (the IMAP refresh: mail/imap/server/change_clock.hpp).
//
// How it knows, without a statement: a connection of another process that writes the file
// must open it and, while it is open, holds a lock on SQLite's WAL-index (the -shm file's
// lock bytes, POSIX locks, which fcntl(F_GETLK) reports only for other processes). epoch()
// therefore looks at two things, both for any process: an inotify IN_OPEN of the file since
// the previous look, and such a lock held now or at the previous look. Either moves the
// epoch. A process that keeps the file open (a long `hearth import`) moves it at every look,
// so readers read each time, as without this; one that opened, wrote and exited between two
// looks is seen by its open. This process's own opens count too (a new thread's connection):
// they only cost readers one read.
//
// Thread-safety: epoch() may be called from any thread.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>

namespace hearth::db {

class other_processes {
 public:
  // Watches `path`, which this process must keep open in WAL mode (its -shm file exists) for
  // as long as the watch lives. Null when it cannot (no inotify, no -shm file): the caller
  // must then assume that another process may always have written.
  static std::shared_ptr<other_processes> watch(const std::filesystem::path& path);
  ~other_processes();
  other_processes(const other_processes&) = delete;
  other_processes& operator=(const other_processes&) = delete;

  // A number that differs from the one returned before whenever another process may have
  // written the file in between (see above); it never goes back.
  std::uint64_t epoch();

 private:
  other_processes() = default;
  bool open_shm();

  std::mutex mu_;
  std::filesystem::path shm_path_;
  int inotify_ = -1;
  int shm_ = -1;  // never closed: closing it would drop this process's own SQLite locks on it
  bool was_locked_ = true;
  std::uint64_t epoch_ = 1;
};

}  // namespace hearth::db
