#include "mail/smtp/server/spill.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace hearth::mail::smtp {

namespace {

error io_error(std::string_view what) { return {"smtp.spill", std::string(what) + ": " + std::strerror(errno)}; }

}  // namespace

result<std::shared_ptr<spill_file>> spill_file::create(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("smtp.spill", "cannot make " + dir.string() + ": " + ec.message());
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    // File systems without O_TMPFILE: a named file, unlinked at once.
    std::string name = (dir / "smtp-XXXXXX").string();
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0) return io_error("cannot create a spill file in " + dir.string());
    ::unlink(name.c_str());
  }
  return std::shared_ptr<spill_file>(new spill_file(fd));
}

spill_file::~spill_file() {
  if (fd_ >= 0) ::close(fd_);
}

result<void> spill_file::append(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(size_));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("spill write");
    }
    size_ += static_cast<std::uint64_t>(n);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

result<void> spill_file::clear() {
  if (::ftruncate(fd_, 0) != 0) return io_error("spill truncate");
  size_ = 0;
  return {};
}

result<std::string> spill_file::read(std::uint64_t offset, std::size_t n) const {
  if (offset >= size_) return std::string();
  if (n > size_ - offset) n = static_cast<std::size_t>(size_ - offset);
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd_, out.data() + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return io_error("spill read");
    }
    if (r == 0) return fail("smtp.spill", "spill file shorter than written");
    got += static_cast<std::size_t>(r);
  }
  return out;
}

std::string_view message_source::header() const {
  if (spilled()) return text;
  const std::string_view t = text;
  if (t.starts_with("\r\n")) return t.substr(0, 2);
  const auto end = t.find("\r\n\r\n");
  return end == std::string_view::npos ? t : t.substr(0, end + 4);
}

result<std::string> message_source::bounded(std::size_t body_max) const {
  if (!spilled()) return text;
  auto body = file->read(body_at, body_max);
  if (!body) return body.error();
  if (body->size() == body_max) {
    // Cut after the last line end so a consumer never sees half a line.
    const auto lf = body->rfind('\n');
    body->resize(lf == std::string::npos ? 0 : lf + 1);
  }
  return text + *body;
}

result<void> message_source::each_piece(std::size_t piece,
                                        const std::function<result<void>(std::string_view)>& out) const {
  if (auto r = out(text); !r) return r;
  return each_body_piece(piece, out);
}

result<void> message_source::each_body_piece(std::size_t piece,
                                             const std::function<result<void>(std::string_view)>& out) const {
  if (!spilled()) return {};
  for (std::uint64_t at = body_at; at < file->size();) {
    auto p = file->read(at, piece);
    if (!p) return p.error();
    if (p->empty()) break;
    at += p->size();
    if (auto r = out(*p); !r) return r;
  }
  return {};
}

result<message_source> spilled_source(std::shared_ptr<spill_file> file, std::string_view tail) {
  if (auto a = file->append(tail); !a) return a.error();
  auto head = file->read(0, message_source::max_header);
  if (!head) return head.error();
  message_source m;
  std::size_t end = head->size();
  if (head->starts_with("\r\n")) {
    end = 2;
  } else if (const auto blank = head->find("\r\n\r\n"); blank != std::string::npos) {
    end = blank + 4;
  }
  head->resize(end);
  m.text = std::move(*head);
  m.body_at = end;
  m.file = std::move(file);
  return m;
}

}  // namespace hearth::mail::smtp
