#include "mail/queue/spool.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

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

result<std::uint64_t> spool::write(std::string_view id, const piece_source& message) const {
  const fs::path final_path = path(id);
  if (fs::exists(final_path)) return fail("queue.exists", "spool file " + final_path.string() + " exists");
  const fs::path tmp = dir_ / (std::string(id) + ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("create", tmp, errno);
  auto give_up = [&](const error& e) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  };
  std::uint64_t written = 0;
  auto put = [&](std::string_view piece) -> result<void> {
    std::size_t off = 0;
    while (off < piece.size()) {
      ssize_t n = ::write(fd, piece.data() + off, piece.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("write", tmp, errno);
      }
      off += static_cast<std::size_t>(n);
    }
    written += piece.size();
    return {};
  };
  if (auto r = message(put); !r) return give_up(r.error());
  if (::fsync(fd) != 0) return give_up(io_error("fsync", tmp, errno));
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
  return written;
}

namespace {

class file_reader final : public message_reader {
 public:
  file_reader(int fd, fs::path p, std::size_t piece, std::uint64_t size)
      : fd_(fd), path_(std::move(p)), piece_(piece), left_(size) {}
  ~file_reader() override { ::close(fd_); }
  result<std::string> next() override {
    // Spool files never change once renamed into place: the size read at open bounds each
    // piece, so a small message costs no piece-sized buffer.
    std::string out(static_cast<std::size_t>(std::min<std::uint64_t>(piece_, left_)), '\0');
    std::size_t got = 0;
    while (got < out.size()) {
      ssize_t n = ::read(fd_, out.data() + got, out.size() - got);
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("read", path_, errno);
      }
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    out.resize(got);
    left_ -= got;
    return out;
  }

 private:
  int fd_;
  fs::path path_;
  std::size_t piece_;
  std::uint64_t left_;
};

}  // namespace

result<std::unique_ptr<message_reader>> spool::open_reader(std::string_view id, std::size_t piece) const {
  const fs::path p = path(id);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return fail("queue.missing", "spool file " + p.string() + " is missing");
    return io_error("open", p, err);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return io_error("stat", p, err);
  }
  return std::unique_ptr<message_reader>(
      std::make_unique<file_reader>(fd, p, piece == 0 ? 1 : piece, static_cast<std::uint64_t>(st.st_size)));
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
