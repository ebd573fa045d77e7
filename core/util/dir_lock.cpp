#include "core/util/dir_lock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace hearth::util {

namespace {

// The PID in the file, for when the kernel cannot say (a lock held over NFS, say).
long pid_in_file(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  return std::strtol(buf, nullptr, 10);
}

}  // namespace

result<dir_lock> dir_lock::acquire(const std::filesystem::path& dir) {
  auto file = dir / "hearth.lock";
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail("lock.io", "cannot open " + file.string() + ": " + std::strerror(errno));
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (::fcntl(fd, F_SETLK, &fl) != 0) {
    int err = errno;
    if (err != EACCES && err != EAGAIN) {
      ::close(fd);
      return fail("lock.io", "cannot lock " + file.string() + ": " + std::strerror(err));
    }
    struct flock holder {};
    holder.l_type = F_WRLCK;
    holder.l_whence = SEEK_SET;
    long pid = 0;
    if (::fcntl(fd, F_GETLK, &holder) == 0 && holder.l_type != F_UNLCK) pid = holder.l_pid;
    if (pid <= 0) pid = pid_in_file(fd);
    ::close(fd);
    return fail("lock.held", "the data directory " + dir.string() + " is in use by another hearth serve" +
                                 (pid > 0 ? " (pid " + std::to_string(pid) + ")" : std::string()) +
                                 "; stop it first (" + file.string() + " is locked)");
  }
  std::string text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    int err = errno;
    ::close(fd);
    return fail("lock.io", "cannot write " + file.string() + ": " + std::strerror(err));
  }
  return dir_lock(fd, std::move(file));
}

dir_lock::~dir_lock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace hearth::util
