#include "core/db/group_sync.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <string>

namespace hearth::db::detail {

bool group_sync::wait_durable() {
  std::unique_lock lock(mu_);
  const std::uint64_t ticket = ++requested_;
  for (;;) {
    if (synced_ >= ticket) return true;
    if (failed_ >= ticket) return false;
    if (!syncing_) {
      // Lead a sync for every ticket handed out so far: each of those commits was written
      // before its ticket was taken, so this sync, which starts now, covers them all.
      syncing_ = true;
      const std::uint64_t target = requested_;
      lock.unlock();
      bool ok = false;
      try {
        ok = sync_();
      } catch (...) {
        ok = false;
      }
      lock.lock();
      syncing_ = false;
      ++syncs_;
      if (ok) {
        if (target > synced_) synced_ = target;
      } else if (target > failed_) {
        failed_ = target;
      }
      cv_.notify_all();
      continue;
    }
    cv_.wait(lock);
  }
}

std::uint64_t group_sync::requested() const {
  std::lock_guard lock(mu_);
  return requested_;
}

std::uint64_t group_sync::syncs() const {
  std::lock_guard lock(mu_);
  return syncs_;
}

// A TRUNCATE checkpoint keeps the WAL (same inode), so the held descriptor stays good; a WAL
// removed and created again (the last connection of a process checkpointed and deleted it, a
// restore) has another inode, which the stat() before each sync notices. A descriptor of a
// removed WAL is never synced in its place: the commit being waited for was written to the
// file the path named when it committed, and if that file has since been removed, the
// checkpoint that removed it synced the database file first. With no WAL at all, the commits
// are in the database file; syncing the database file then costs one more fsync and keeps the
// promise without reasoning about who removed the WAL.
bool wal_file::sync() {
  struct stat st {};
  if (::stat(wal_.c_str(), &st) != 0) {
    const bool gone = errno == ENOENT;
    forget();
    return gone && sync_database();
  }
  if (fd_ < 0 || st.st_dev != dev_ || st.st_ino != ino_) {
    forget();
    fd_ = ::open(wal_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return errno == ENOENT && sync_database();  // removed since the stat
    struct stat held {};
    if (::fstat(fd_, &held) != 0) {
      forget();
      return false;
    }
    dev_ = held.st_dev;
    ino_ = held.st_ino;
    ++opens_;
  }
  return ::fdatasync(fd_) == 0;
}

bool wal_file::sync_database() {
  const int fd = ::open(db_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fdatasync(fd) == 0;
  ::close(fd);
  return ok;
}

void wal_file::forget() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

wal_file::~wal_file() { forget(); }

std::shared_ptr<group_sync> sync_group(const std::filesystem::path& db_path) {
  if (db_path.empty() || db_path == ":memory:") return nullptr;
  static auto* mu = new std::mutex;
  static auto* groups = new std::map<std::string, std::weak_ptr<group_sync>>;
  std::error_code ec;
  auto key = std::filesystem::weakly_canonical(db_path, ec).string();
  if (ec) key = db_path.string();
  std::lock_guard lock(*mu);
  auto& slot = (*groups)[key];
  auto g = slot.lock();
  if (!g) {
    auto wal = std::make_shared<wal_file>(key + "-wal", key);
    slot = g = std::make_shared<group_sync>([wal] { return wal->sync(); });
  }
  return g;
}

}  // namespace hearth::db::detail
