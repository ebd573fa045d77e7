#include "core/blob/reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "core/blob/db_store.hpp"
#include "core/blob/store.hpp"

namespace hearth::blob {
namespace {

hearth::error io_error(std::string_view what, const std::filesystem::path& p, int err = errno) {
  return fail("blob.io", std::string(what) + " " + p.string() + ": " + std::generic_category().message(err));
}

class file_reader final : public reader {
 public:
  file_reader(int fd, std::filesystem::path path, std::uint64_t size) : fd_(fd), path_(std::move(path)), size_(size) {}
  ~file_reader() override { ::close(fd_); }

  std::uint64_t size() const override { return size_; }

  result<std::string> read(std::uint64_t offset, std::size_t n) override {
    std::string out;
    if (offset >= size_) return out;
    out.resize(static_cast<std::size_t>(std::min<std::uint64_t>(n, size_ - offset)));
    std::size_t got = 0;
    while (got < out.size()) {
      ssize_t r = ::pread(fd_, out.data() + got, out.size() - got, static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return io_error("read", path_);
      // Blobs never shrink: a file shorter than it was at open is being damaged.
      if (r == 0) return fail("blob.io", "short read of " + path_.string());
      got += static_cast<std::size_t>(r);
    }
    return out;
  }

 private:
  int fd_;
  std::filesystem::path path_;
  std::uint64_t size_;
};

}  // namespace

result<std::unique_ptr<reader>> open_reader(const store& s, std::string_view id) {
  auto p = s.path_of(id);
  if (!p) return p.error();
  int fd = ::open(p->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) return io_error("open", *p);
    if (auto* db = s.database()) {
      auto r = db->open_reader(id);
      if (!r) return r.error();
      if (*r) return std::move(*r);
    }
    return fail("blob.not_found", "no blob " + std::string(id));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    auto e = io_error("stat", *p);
    ::close(fd);
    return e;
  }
  return std::unique_ptr<reader>(std::make_unique<file_reader>(fd, std::move(*p), static_cast<std::uint64_t>(st.st_size)));
}

}  // namespace hearth::blob
