#include "core/db/group_sync.hpp"

#include <fcntl.h>
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

namespace {

// fdatasync of a file by name. Any descriptor of a file flushes all its dirty pages, whoever
// wrote them (SQLite's own connections, other processes). The WAL exists while a connection is
// open; if it does not (the last connection of another process checkpointed and removed it),
// the commits are in the database file, which that checkpoint synced; syncing the database
// file then costs one more fsync and keeps the promise without reasoning about who removed it.
bool sync_file(const std::string& wal, const std::string& db) {
  int fd = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) fd = ::open(db.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fdatasync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

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
  if (!g) slot = g = std::make_shared<group_sync>([wal = key + "-wal", key] { return sync_file(wal, key); });
  return g;
}

}  // namespace hearth::db::detail
