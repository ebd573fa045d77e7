#include "mail/queue/spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace hearth::mail::queue {

namespace fs = std::filesystem;

namespace {

error io_error(const std::string& what, const fs::path& p, int err) {
  return fail("queue.io", what + " " + p.string() + ": " + std::strerror(err));
}

result<void> fsync_dir(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open", p, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return io_error("fsync", p, err);
  return {};
}

}  // namespace

result<spool> spool::open(const fs::path& data_dir) {
  fs::path dir = data_dir / "queue";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail("queue.io", "cannot create " + dir.string() + ": " + ec.message());
  return spool(std::move(dir));
}

result<void> spool::write(std::string_view id, std::string_view message) const {
  const fs::path final_path = path(id);
  if (fs::exists(final_path)) return fail("queue.exists", "spool file " + final_path.string() + " exists");
  const fs::path tmp = dir_ / (std::string(id) + ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("create", tmp, errno);
  auto give_up = [&](const char* what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return io_error(what, tmp, err);
  };
  std::size_t off = 0;
  while (off < message.size()) {
    ssize_t n = ::write(fd, message.data() + off, message.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return give_up("write", errno);
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return give_up("fsync", errno);
  ::close(fd);
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error("rename", tmp, err);
  }
  // The rename is durable only once the folder is.
  if (auto r = fsync_dir(dir_); !r) {
    ::unlink(final_path.c_str());
    return r.error();
  }
  return {};
}

result<std::string> spool::read(std::string_view id) const {
  const fs::path p = path(id);
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    int err = errno;
    if (err == ENOENT) return fail("queue.missing", "spool file " + p.string() + " is missing");
    return io_error("open", p, err);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return io_error("read", p, errno);
  return ss.str();
}

void spool::remove(std::string_view id) const {
  std::error_code ec;
  fs::remove(path(id), ec);
}

result<int> spool::remove_orphans(std::chrono::seconds min_age,
                                  const std::function<result<bool>(const std::string& id)>& known) const {
  const auto cutoff = fs::file_time_type::clock::now() - min_age;
  int removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    auto name = e.path().filename().string();
    auto dot = name.rfind('.');
    if (dot == std::string::npos) continue;
    std::string id = name.substr(0, dot), ext = name.substr(dot);
    bool orphan = ext == ".tmp";
    if (ext == ".eml") {
      auto k = known(id);
      if (!k) return k.error();
      orphan = !*k;
    }
    if (!orphan) continue;
    std::error_code tec;
    auto written = fs::last_write_time(e.path(), tec);
    if (tec || written > cutoff) continue;
    std::error_code rec;
    if (fs::remove(e.path(), rec)) ++removed;
  }
  return removed;
}

}  // namespace hearth::mail::queue
