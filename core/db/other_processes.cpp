#include "core/db/other_processes.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>

namespace hearth::db {

namespace {
// SQLite's unix VFS locks bytes 120-127 of the -shm file for the WAL locks (writer,
// checkpointer, recovery, the read marks) and byte 128 (DMS) shared for as long as a connection
// has the WAL-index mapped (os_unix.c UNIX_SHM_BASE, UNIX_SHM_DMS).
constexpr off_t shm_lock_first = 120;
constexpr off_t shm_lock_bytes = 9;
}  // namespace

std::shared_ptr<other_processes> other_processes::watch(const std::filesystem::path& path) {
  std::shared_ptr<other_processes> w(new other_processes());
  w->shm_path_ = path.string() + "-shm";
  w->inotify_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (w->inotify_ < 0) return nullptr;
  if (::inotify_add_watch(w->inotify_, path.c_str(), IN_OPEN) < 0) return nullptr;
  if (!w->open_shm()) return nullptr;
  return w;
}

bool other_processes::open_shm() {
  // Watched for its unlinking or replacement: the locks that matter are then on another file.
  if (::inotify_add_watch(inotify_, shm_path_.c_str(), IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF) < 0) return false;
  const int fd = ::open(shm_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  shm_ = fd;
  return true;
}

other_processes::~other_processes() {
  if (inotify_ >= 0) ::close(inotify_);
  // shm_ stays open (see the header): one descriptor for the life of the process.
}

std::uint64_t other_processes::epoch() {
  std::lock_guard lock(mu_);
  bool moved = false;
  bool shm_replaced = false;
  alignas(inotify_event) char buf[4096];
  for (;;) {
    const auto n = ::read(inotify_, buf, sizeof buf);
    if (n > 0) {
      moved = true;
      for (ssize_t off = 0; off + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
        const auto* e = reinterpret_cast<const inotify_event*>(buf + off);
        if (e->mask & (IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) shm_replaced = true;
        off += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) moved = true;  // the queue cannot be read: assume the worst
    break;
  }
  if (shm_replaced) {
    // The old descriptor stays open (see the header); a new one watches the new file. Until
    // that succeeds every look moves the epoch.
    if (::access(shm_path_.c_str(), F_OK) == 0) (void)open_shm();
    was_locked_ = true;
  }
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = shm_lock_first;
  fl.l_len = shm_lock_bytes;
  bool locked = true;
  if (!shm_replaced && ::fcntl(shm_, F_GETLK, &fl) == 0) locked = fl.l_type != F_UNLCK;
  // A lock seen at the previous look moves the epoch once more: that process may have
  // committed after that look and closed before this one.
  if (moved || locked || was_locked_) ++epoch_;
  was_locked_ = locked;
  return epoch_;
}

}  // namespace hearth::db
