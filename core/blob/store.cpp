#include "core/blob/store.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <system_error>

#include "core/blob/db_store.hpp"
#include "core/blob/reader.hpp"

namespace hearth::blob {

namespace fs = std::filesystem;

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

hearth::error io_error(std::string_view what, const fs::path& p, int err = errno) {
  return fail("blob.io", std::string(what) + " " + p.string() + ": " + std::generic_category().message(err));
}

std::string to_hex(const unsigned char* p, std::size_t n) {
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += hex_digits[p[i] >> 4];
    out += hex_digits[p[i] & 15];
  }
  return out;
}

EVP_MD_CTX* new_sha256() {
  EVP_MD_CTX* c = EVP_MD_CTX_new();
  if (c && EVP_DigestInit_ex(c, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(c);
    return nullptr;
  }
  return c;
}

std::string finish_sha256(EVP_MD_CTX* c) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (EVP_DigestFinal_ex(c, md, &len) != 1) return {};
  return to_hex(md, len);
}

// A rename or a new file is durable only once its folder is fsync'd (POSIX leaves directory
// entries in the page cache otherwise).
result<void> fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open folder", dir);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return io_error("fsync folder", dir, err);
  return {};
}

result<void> fsync_file(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("open", p);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return io_error("fsync", p, err);
  return {};
}

result<void> write_all(int fd, std::string_view data, const fs::path& p) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write", p);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

bool valid_id(std::string_view id) {
  if (id.size() != 64) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string id_of(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) return {};
  return to_hex(md, len);
}

// ---- writer ----

writer::writer(const store* s, int fd, fs::path temp, void* sha, std::uint64_t max_size)
    : store_(s), fd_(fd), temp_(std::move(temp)), sha_(sha), max_size_(max_size) {}

writer::writer(writer&& o) noexcept
    : store_(o.store_), fd_(o.fd_), temp_(std::move(o.temp_)), sha_(o.sha_), size_(o.size_), max_size_(o.max_size_) {
  o.fd_ = -1;
  o.sha_ = nullptr;
  o.temp_.clear();
}

writer& writer::operator=(writer&& o) noexcept {
  if (this != &o) {
    abandon();
    store_ = o.store_;
    fd_ = o.fd_;
    temp_ = std::move(o.temp_);
    sha_ = o.sha_;
    size_ = o.size_;
    max_size_ = o.max_size_;
    o.fd_ = -1;
    o.sha_ = nullptr;
    o.temp_.clear();
  }
  return *this;
}

writer::~writer() { abandon(); }

void writer::abandon() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
  if (sha_) EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(sha_));
  sha_ = nullptr;
}

result<void> writer::write(std::string_view chunk) {
  if (fd_ < 0) return fail("blob.state", "blob writer already committed or failed");
  if (chunk.size() > max_size_ - size_) {
    abandon();
    return fail("blob.too_big", "content over the limit of " + std::to_string(max_size_) + " octets");
  }
  if (auto r = write_all(fd_, chunk, temp_); !r) {
    abandon();
    return r;
  }
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(sha_), chunk.data(), chunk.size());
  size_ += chunk.size();
  return {};
}

result<std::string> writer::commit() {
  if (fd_ < 0) return fail("blob.state", "blob writer already committed or failed");
  std::string id = finish_sha256(static_cast<EVP_MD_CTX*>(sha_));
  if (id.empty()) {
    abandon();
    return fail("blob.io", "SHA-256 failed");
  }
  if (store_->to_database(size_)) {
    // The temp file is only a buffer here: the database's commit makes the content durable.
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) {
      auto e = io_error("close", temp_);
      abandon();
      return e;
    }
    auto r = store_->db_->put_file(id, temp_);
    abandon();
    if (!r) return r.error();
    return id;
  }
  if (::fsync(fd_) != 0) {
    auto e = io_error("fsync", temp_);
    abandon();
    return e;
  }
  int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) {
    auto e = io_error("close", temp_);
    abandon();
    return e;
  }
  auto r = store_->install(temp_, id);
  if (!r) {
    abandon();
    return r.error();
  }
  temp_.clear();  // renamed (or removed as a duplicate): nothing left to clean
  abandon();      // frees the digest context
  return id;
}

// ---- store ----

store::store(fs::path root) : root_(std::move(root)) {}
store::~store() = default;
store::store(store&&) noexcept = default;

void store::attach(std::unique_ptr<db_store> db, database_options o) {
  db_ = std::move(db);
  db_opts_ = o;
}

std::uint64_t store::inline_limit() const {
  if (!db_) return 0;
  return db_opts_.all ? std::numeric_limits<std::uint64_t>::max() : db_opts_.inline_max;
}

result<void> store::ensure_dir(const fs::path& dir) const {
  if (::mkdir(dir.c_str(), 0700) == 0) return fsync_dir(dir.parent_path());
  if (errno == EEXIST) return {};
  return io_error("mkdir", dir);
}

result<void> store::install(const fs::path& temp, const std::string& id) const {
  auto dest = root_ / id.substr(0, 2) / id.substr(2);
  if (auto r = ensure_dir(dest.parent_path()); !r) return r;
  struct stat st {};
  if (::stat(dest.c_str(), &st) == 0) {
    // Same bytes already stored (content addressing). An earlier writer may have crashed
    // between its rename and its folder fsync, so make the existing copy durable too.
    ::unlink(temp.c_str());
    if (auto r = fsync_file(dest); !r) return r;
    return fsync_dir(dest.parent_path());
  }
  if (::rename(temp.c_str(), dest.c_str()) != 0) return io_error("rename to", dest);
  return fsync_dir(dest.parent_path());
}

result<writer> store::begin(std::uint64_t max_size) const {
  if (auto r = ensure_dir(root_); !r) return r.error();
  auto tmp = root_ / "tmp";
  if (auto r = ensure_dir(tmp); !r) return r.error();
  for (int attempt = 0; attempt < 8; ++attempt) {
    unsigned char rnd[12];
    if (RAND_bytes(rnd, sizeof rnd) != 1) return fail("blob.io", "RAND_bytes failed");
    auto temp = tmp / (to_hex(rnd, sizeof rnd) + ".tmp");
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      return io_error("create", temp);
    }
    EVP_MD_CTX* sha = new_sha256();
    if (!sha) {
      ::close(fd);
      ::unlink(temp.c_str());
      return fail("blob.io", "SHA-256 unavailable");
    }
    return writer(this, fd, std::move(temp), sha, max_size);
  }
  return fail("blob.io", "could not create a unique temp file in " + tmp.string());
}

result<std::string> store::put(std::string_view data) const {
  std::string id = id_of(data);
  if (id.empty()) return fail("blob.io", "SHA-256 failed");
  if (to_database(data.size())) {
    if (auto r = db_->put(id, data); !r) return r.error();
    return id;
  }
  auto dest = root_ / id.substr(0, 2) / id.substr(2);
  struct stat st {};
  if (::stat(dest.c_str(), &st) == 0) {
    if (auto r = fsync_file(dest); !r) return r.error();
    if (auto r = fsync_dir(dest.parent_path()); !r) return r.error();
    return id;
  }
  auto w = begin();
  if (!w) return w.error();
  if (auto r = w->write(data); !r) return r.error();
  return w->commit();
}

result<fs::path> store::path_of(std::string_view id) const {
  if (!valid_id(id)) return fail("blob.bad_id", "not a blob id: " + std::string(id.substr(0, 80)));
  return root_ / std::string(id.substr(0, 2)) / std::string(id.substr(2));
}

bool store::exists(std::string_view id) const {
  auto p = path_of(id);
  if (!p) return false;
  struct stat st {};
  if (::stat(p->c_str(), &st) == 0 && S_ISREG(st.st_mode)) return true;
  if (!db_) return false;
  auto in_db = db_->size_of(id);
  return in_db && in_db->has_value();
}

result<std::uint64_t> store::size_of(std::string_view id) const {
  auto p = path_of(id);
  if (!p) return p.error();
  struct stat st {};
  if (::stat(p->c_str(), &st) != 0) {
    if (errno != ENOENT) return io_error("stat", *p);
    if (db_) {
      auto in_db = db_->size_of(id);
      if (!in_db) return in_db.error();
      if (*in_db) return **in_db;
    }
    return fail("blob.not_found", "no blob " + std::string(id));
  }
  return static_cast<std::uint64_t>(st.st_size);
}

result<std::string> store::get(std::string_view id, std::uint64_t max_size) const {
  auto r = open_reader(*this, id);
  if (!r) return r.error();
  const std::uint64_t size = (*r)->size();
  if (size > max_size)
    return fail("blob.too_big", "blob " + std::string(id) + " is " + std::to_string(size) +
                                    " bytes, over the limit of " + std::to_string(max_size));
  return (*r)->read(0, static_cast<std::size_t>(size));
}

result<std::string> store::head(std::string_view id, std::uint64_t n) const {
  auto p = path_of(id);
  if (!p) return p.error();
  int fd = ::open(p->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) return io_error("open", *p);
    if (db_) {
      auto in_db = db_->head(id, n);
      if (!in_db) return in_db.error();
      if (*in_db) return std::move(**in_db);
    }
    return fail("blob.not_found", "no blob " + std::string(id));
  }
  std::string out;
  char buf[64 * 1024];
  while (out.size() < n) {
    ssize_t got = ::read(fd, buf, static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buf, n - out.size())));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      auto e = io_error("read", *p);
      ::close(fd);
      return e;
    }
    if (got == 0) break;
    out.append(buf, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return out;
}

result<void> store::remove(std::string_view id) const {
  auto p = path_of(id);
  if (!p) return p.error();
  bool in_db = false;
  if (db_) {
    auto r = db_->remove(id);
    if (!r) return r.error();
    in_db = *r;
  }
  if (::unlink(p->c_str()) != 0) {
    if (errno == ENOENT && in_db) return {};
    if (errno == ENOENT) return fail("blob.not_found", "no blob " + std::string(id));
    return io_error("unlink", *p);
  }
  return fsync_dir(p->parent_path());
}

result<void> store::remove_file(std::string_view id) const {
  auto p = path_of(id);
  if (!p) return p.error();
  if (::unlink(p->c_str()) != 0) {
    if (errno == ENOENT) return fail("blob.not_found", "no blob " + std::string(id));
    return io_error("unlink", *p);
  }
  return fsync_dir(p->parent_path());
}

result<std::size_t> store::cleanup_temp() const { return cleanup_temp(std::chrono::seconds(0)); }

result<std::size_t> store::cleanup_temp(std::chrono::seconds min_age) const {
  auto tmp = root_ / "tmp";
  std::error_code ec;
  if (!fs::exists(tmp, ec)) return std::size_t{0};
  std::size_t removed = 0;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(tmp, ec), end; !ec && it != end; it.increment(ec)) {
    if (min_age.count() > 0) {
      std::error_code tec;
      auto t = it->last_write_time(tec);
      if (tec || now - t < min_age) continue;
    }
    if (::unlink(it->path().c_str()) == 0) ++removed;
  }
  if (ec) return fail("blob.io", "listing " + tmp.string() + ": " + ec.message());
  return removed;
}

}  // namespace hearth::blob
