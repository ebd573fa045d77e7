#include "app/backup.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

#include "core/blob/db_store.hpp"
#include "core/blob/store.hpp"
#include "core/crypto/crypto.hpp"
#include "core/db/db.hpp"
#include "core/util/dir_lock.hpp"
#include "mail/store/store.hpp"
#include "xmpp/modules/upload/store.hpp"

namespace fs = std::filesystem;

namespace hearth::app {
namespace {

constexpr const char* manifest_name = "MANIFEST";
constexpr const char* pin_prefix = ".backup-pin-";
constexpr const char* tmp_prefix = ".tmp-";

error io_error(const std::string& what, int err = errno) {
  return fail("backup.io", what + ": " + std::strerror(err));
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct fd_guard {
  int fd = -1;
  explicit fd_guard(int f) : fd(f) {}
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
};

struct sha_ctx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  sha_ctx() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
  ~sha_ctx() { EVP_MD_CTX_free(ctx); }
  void update(const char* p, std::size_t n) { EVP_DigestUpdate(ctx, p, n); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, md, &len);
    return crypto::hex_encode(std::string_view(reinterpret_cast<const char*>(md), len));
  }
};

struct hashed {
  std::string sha256;
  std::uint64_t size = 0;
};

// Reads `src` once; hashes it and, when `dst` is given, writes it there (a new file, not
// flushed: callers flush with one syncfs). Errors: "backup.io".
result<hashed> copy_hashed(const fs::path& src, const fs::path* dst) {
  fd_guard in(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.fd < 0) return io_error("cannot read " + src.string());
  std::optional<fd_guard> out;
  if (dst) {
    out.emplace(::open(dst->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (out->fd < 0) return io_error("cannot create " + dst->string());
  }
  sha_ctx sha;
  hashed h;
  static thread_local std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(in.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot read " + src.string());
    if (n == 0) break;
    sha.update(buf.data(), static_cast<std::size_t>(n));
    h.size += static_cast<std::uint64_t>(n);
    for (ssize_t done = 0; out && done < n;) {
      ssize_t w = ::write(out->fd, buf.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return io_error("cannot write " + dst->string());
      done += w;
    }
  }
  h.sha256 = sha.hex();
  return h;
}

result<void> sync_filesystem(const fs::path& dir) {
  fd_guard d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd < 0) return io_error("cannot open " + dir.string());
  if (::syncfs(d.fd) != 0) return io_error("cannot flush " + dir.string());
  return {};
}

result<void> make_dirs(const fs::path& p) {
  std::error_code ec;
  fs::create_directories(p, ec);
  if (ec) return fail("backup.io", "cannot create " + p.string() + ": " + ec.message());
  return {};
}

// SQLite's online backup API: a consistent copy of a live database, whatever other
// connections (this process's or another's) are doing. Readers of a WAL database never wait.
result<void> online_backup(const fs::path& src, const fs::path& dst) {
  sqlite3* s = nullptr;
  sqlite3* d = nullptr;
  auto close_both = [&] {
    if (s) sqlite3_close_v2(s);
    if (d) sqlite3_close_v2(d);
  };
  if (sqlite3_open_v2(src.c_str(), &s, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    auto e = fail("backup.io", "cannot open " + src.string() + ": " + sqlite3_errmsg(s));
    close_both();
    return e;
  }
  sqlite3_busy_timeout(s, 5000);
  if (sqlite3_open_v2(dst.c_str(), &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    auto e = fail("backup.io", "cannot create " + dst.string() + ": " + sqlite3_errmsg(d));
    close_both();
    return e;
  }
  sqlite3_backup* b = sqlite3_backup_init(d, "main", s, "main");
  if (!b) {
    auto e = fail("backup.io", "cannot start the copy of " + src.string() + ": " + sqlite3_errmsg(d));
    close_both();
    return e;
  }
  int rc = SQLITE_OK;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    rc = sqlite3_backup_step(b, -1);  // every page in one step: one read transaction, one state
    if (rc == SQLITE_DONE) break;
    if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    break;
  }
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    auto e = fail("backup.io", "copy of " + src.string() + " failed: " + sqlite3_errstr(rc));
    close_both();
    return e;
  }
  close_both();
  return {};
}

bool is_db_file(const std::string& name) {
  for (const char* suffix : {".db", ".db-wal", ".db-shm", ".db-journal"}) {
    std::string_view sv(suffix);
    if (name.size() > sv.size() && name.compare(name.size() - sv.size(), sv.size(), sv) == 0) return true;
  }
  return false;
}

// Pins left by a backup whose process is gone.
void remove_stale_pins(const fs::path& data_dir) {
  std::error_code ec;
  for (auto& e : fs::directory_iterator(data_dir, ec)) {
    auto name = e.path().filename().string();
    if (name.rfind(pin_prefix, 0) != 0) continue;
    long pid = std::strtol(name.c_str() + std::strlen(pin_prefix), nullptr, 10);
    if (pid > 0 && pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      fs::remove_all(e.path(), ignored);
    }
  }
}

// Links `src` to `dst` (same file system: no data copied); copies it when linking is not
// possible (another file system, or one without hard links).
result<void> pin_file(const fs::path& src, const fs::path& dst) {
  if (::link(src.c_str(), dst.c_str()) == 0) return {};
  if (errno == ENOENT) return fail("backup.missing", src.string() + " is missing");
  if (errno == EEXIST) return {};
  if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != ENOTSUP)
    return io_error("cannot link " + src.string());
  auto c = copy_hashed(src, &dst);
  if (!c) return c.error();
  return {};
}

std::string snapshot_id_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

result<std::string> read_small_file(const fs::path& p, std::uint64_t limit) {
  fd_guard f(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd < 0) return io_error("cannot read " + p.string());
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot read " + p.string());
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > limit) return fail("backup.manifest", p.string() + " is too large");
  }
  return out;
}

result<backup::manifest> read_manifest(const fs::path& snapshot_dir) {
  // A manifest line is at most backup::max_line bytes; 4 GiB covers any real instance.
  auto text = read_small_file(snapshot_dir / manifest_name, 4ull << 30);
  if (!text) return text.error();
  auto m = backup::parse(*text);
  if (!m) return fail(m.error().code, (snapshot_dir / manifest_name).string() + ": " + m.error().message);
  if (m->snapshot != snapshot_dir.filename().string())
    return fail("backup.manifest", (snapshot_dir / manifest_name).string() + " names another snapshot (" + m->snapshot + ")");
  return m;
}

result<void> write_file(const fs::path& p, std::string_view data) {
  fd_guard f(::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (f.fd < 0) return io_error("cannot create " + p.string());
  for (std::size_t done = 0; done < data.size();) {
    ssize_t w = ::write(f.fd, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return io_error("cannot write " + p.string());
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(f.fd) != 0) return io_error("cannot flush " + p.string());
  return {};
}

// Whether `inner` is `outer` or below it (both made absolute first).
bool inside(const fs::path& inner, const fs::path& outer) {
  auto a = fs::weakly_canonical(fs::absolute(inner)).lexically_normal().string();
  auto b = fs::weakly_canonical(fs::absolute(outer)).lexically_normal().string();
  if (!b.empty() && b.back() != '/') b += '/';
  if (!a.empty() && a.back() != '/') a += '/';
  return a.rfind(b, 0) == 0;
}

// Oldest first: by creation time, then id.
void sort_snapshots(std::vector<backup::manifest>& list) {
  std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
    return a.created != b.created ? a.created < b.created : a.snapshot < b.snapshot;
  });
}

// Retention: drops the oldest snapshots beyond `keep`, then the blobs no kept snapshot names.
// A snapshot whose manifest cannot be read stops the blob clean-up (its blobs are unknown).
void apply_retention(const fs::path& dest, unsigned keep, backup_report& r) {
  if (keep == 0) return;
  std::vector<backup::manifest> good;
  bool unreadable = false;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dest / "snapshots", ec)) {
    auto name = e.path().filename().string();
    if (name.rfind(tmp_prefix, 0) == 0 || !e.is_directory()) continue;
    auto m = read_manifest(e.path());
    if (m)
      good.push_back(std::move(*m));
    else
      unreadable = true;
  }
  if (good.size() <= keep) return;
  sort_snapshots(good);
  const std::size_t drop = good.size() - keep;
  for (std::size_t i = 0; i < drop; ++i) {
    std::error_code rm;
    fs::remove_all(dest / "snapshots" / good[i].snapshot, rm);
    if (!rm) ++r.removed_snapshots;
  }
  if (unreadable) return;
  std::set<std::string> used;
  for (std::size_t i = drop; i < good.size(); ++i)
    for (const auto& b : good[i].blobs) used.insert(b.sha256);
  for (auto& d : fs::directory_iterator(dest / "blobs", ec)) {
    auto prefix = d.path().filename().string();
    if (prefix.size() != 2 || !d.is_directory()) continue;
    std::error_code ec2;
    for (auto& f : fs::directory_iterator(d.path(), ec2)) {
      auto id = prefix + f.path().filename().string();
      if (blob::valid_id(id) && !used.count(id)) {
        std::error_code rm;
        if (fs::remove(f.path(), rm)) ++r.removed_blobs;
      }
    }
  }
}

std::mutex backup_mutex;  // one backup at a time in this process (the DEST lock is per process)

}  // namespace

result<backup_report> run_backup(const backup_options& o) {
  const auto t0 = std::chrono::steady_clock::now();
  backup_report r;
  const fs::path data = o.data_dir;
  const fs::path live_db = data / "hearth.db";
  if (!fs::exists(live_db)) return fail("backup.usage", data.string() + " is not a Hearth data directory (no hearth.db)");
  if (o.dest.empty()) return fail("backup.usage", "no destination");
  if (inside(o.dest, data) || inside(data, o.dest))
    return fail("backup.usage", "the destination must be outside the data directory (and not contain it)");

  std::unique_lock process_lock(backup_mutex, std::try_to_lock);
  if (!process_lock) return fail("backup.busy", "another backup is running in this process");
  if (auto m = make_dirs(o.dest / "snapshots"); !m) return m.error();
  if (auto m = make_dirs(o.dest / "blobs" / "tmp"); !m) return m.error();
  auto dest_lock = util::dir_lock::acquire(o.dest);
  if (!dest_lock) {
    if (dest_lock.error().code == "lock.held") return fail("backup.busy", dest_lock.error().message);
    return fail("backup.io", dest_lock.error().message);
  }

  std::error_code ec;
  // Leftovers of an interrupted run: partial snapshots and blob temp files.
  for (auto& e : fs::directory_iterator(o.dest / "snapshots", ec))
    if (e.path().filename().string().rfind(tmp_prefix, 0) == 0) fs::remove_all(e.path(), ec);
  for (auto& e : fs::directory_iterator(o.dest / "blobs" / "tmp", ec)) fs::remove(e.path(), ec);
  remove_stale_pins(data);

  std::string id = snapshot_id_now();
  for (int n = 2; fs::exists(o.dest / "snapshots" / id); ++n) id = snapshot_id_now() + "-" + std::to_string(n);
  r.snapshot = id;
  const fs::path tmp = o.dest / "snapshots" / (tmp_prefix + id);
  if (auto m = make_dirs(tmp); !m) return m.error();
  struct remove_on_exit {
    fs::path p;
    ~remove_on_exit() {
      std::error_code e;
      if (!p.empty()) fs::remove_all(p, e);
    }
  } tmp_guard{tmp};

  static std::atomic<unsigned> pins{0};
  const fs::path pin = data / (pin_prefix + std::to_string(::getpid()) + "-" + std::to_string(++pins));
  if (auto m = make_dirs(pin / "blobs"); !m) return m.error();
  remove_on_exit pin_guard{pin};

  // Databases other than hearth.db hold no blob references: a plain online copy each.
  for (auto& e : fs::directory_iterator(data, ec)) {
    auto name = e.path().filename().string();
    if (!e.is_regular_file() || name == "hearth.db" || name.size() < 4 || name.compare(name.size() - 3, 3, ".db") != 0)
      continue;
    if (auto b = online_backup(e.path(), tmp / name); !b) return b.error();
  }

  blob::store live_blobs(data / "blobs");
  blob::store dest_blobs(o.dest / "blobs");
  // What DEST already has, listed before the lock (one readdir per prefix folder, not a stat
  // per blob while writers wait). A blob that appears meanwhile is only copied again.
  std::unordered_set<std::string> in_dest;
  for (auto& d : fs::directory_iterator(o.dest / "blobs", ec)) {
    auto prefix = d.path().filename().string();
    if (prefix.size() != 2 || !d.is_directory()) continue;
    std::error_code ec2;
    for (auto& f : fs::directory_iterator(d.path(), ec2)) in_dest.insert(prefix + f.path().filename().string());
  }

  std::vector<std::string> ids;
  std::vector<std::string> pinned;      // blobs to copy into DEST
  std::vector<fs::path> queue_files;    // relative to DATA/queue
  std::size_t missing = 0;
  auto locked_at = std::chrono::steady_clock::now();
  {
    // Opened (and migrated) before the lock: a migration needs the write lock itself.
    auto mail = mail::store::open(live_db, live_blobs);
    if (!mail) return mail.error();
    // HTTP File Upload's files are blobs named from hearth.db too (their removal happens under
    // its write lock, like the mail store's).
    auto uploads = xmpp::upload::open_store(live_db.string());
    if (!uploads) return uploads.error();
    // Bodies kept in the database (blob::db_store) are in the copy of hearth.db already.
    auto tier = blob::db_store::open(live_db.string());
    if (!tier) return tier.error();
    auto holder = db::connection::open(live_db);
    if (!holder) return holder.error();
    locked_at = std::chrono::steady_clock::now();
    // Nothing commits to hearth.db while this is open: the copy, the blob list and the pins
    // all see one state (see the header comment).
    auto txn = db::transaction::begin(*holder);
    if (!txn) return txn.error();
    if (auto b = online_backup(live_db, tmp / "hearth.db"); !b) return b.error();
    auto list = (*mail)->blob_ids();
    if (!list) return list.error();
    ids = std::move(*list);
    try {
      for (auto& bid : (*uploads)->blob_ids()) ids.push_back(std::move(bid));
    } catch (const error_exception& e) {
      return e.err();
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    auto in_db_list = (*tier)->ids();
    if (!in_db_list) return in_db_list.error();
    const std::set<std::string> in_db(in_db_list->begin(), in_db_list->end());
    for (const auto& bid : ids) {
      if (!blob::valid_id(bid)) continue;  // not an id: nothing a restore could use
      if (in_db.count(bid)) continue;      // in the database copy
      if (in_dest.count(bid)) continue;    // already in DEST: incremental
      auto lp = live_blobs.path_of(bid);
      auto p = pin_file(*lp, pin / "blobs" / bid);
      if (!p && p.error().code == "backup.missing") {
        ++missing;  // a store damaged before this backup; reported, never invented
        continue;
      }
      if (!p) return p.error();
      pinned.push_back(bid);
    }
    // The queue's spool files go with their rows (written before the row commits, removed
    // after it is gone): pinned under the same lock, they match the copied rows.
    const fs::path q = data / "queue";
    if (fs::is_directory(q, ec)) {
      for (auto it = fs::recursive_directory_iterator(q, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (!it->is_regular_file()) continue;
        auto rel = it->path().lexically_relative(q);
        auto to = pin / "queue" / rel;
        if (auto m = make_dirs(to.parent_path()); !m) return m.error();
        auto p = pin_file(it->path(), to);
        if (!p && p.error().code == "backup.missing") continue;  // delivered meanwhile... impossible under the lock
        if (!p) return p.error();
        queue_files.push_back(rel);
      }
    }
    txn->rollback();
    r.locked_seconds = since(locked_at);
  }

  // New blobs into DEST/blobs/tmp (checked against their id on the way), renamed later.
  for (const auto& bid : pinned) {
    const fs::path to = o.dest / "blobs" / "tmp" / bid;
    auto h = copy_hashed(pin / "blobs" / bid, &to);
    if (!h) return h.error();
    if (h->sha256 != bid) return fail("backup.corrupt", "blob " + bid + " in the data directory does not match its id");
    r.bytes_copied += h->size;
  }
  r.blobs_copied = pinned.size();

  // The snapshot's files: databases (already there), spool files, and the rest of the data
  // directory (keys, secret, certificates), but not the lock, the blobs or our own pins.
  std::vector<backup::entry> files;
  ec.clear();
  for (auto it = fs::recursive_directory_iterator(data, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    auto rel = it->path().lexically_relative(data);
    auto top = rel.begin()->string();
    if (it.depth() == 0 && (top == "hearth.lock" || top == "blobs" || top == "queue" || top.rfind(pin_prefix, 0) == 0 ||
                            is_db_file(top))) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink() || !it->is_regular_file()) continue;
    if (!backup::valid_path(rel.string())) continue;
    const fs::path to = tmp / rel;
    if (auto m = make_dirs(to.parent_path()); !m) return m.error();
    auto h = copy_hashed(it->path(), &to);
    if (!h) return h.error();
    files.push_back({h->sha256, h->size, rel.string()});
  }
  if (ec) return fail("backup.io", "cannot list " + data.string() + ": " + ec.message());
  for (const auto& rel : queue_files) {
    const fs::path to = tmp / "queue" / rel;
    if (auto m = make_dirs(to.parent_path()); !m) return m.error();
    auto h = copy_hashed(pin / "queue" / rel, &to);
    if (!h) return h.error();
    files.push_back({h->sha256, h->size, ("queue" / rel).string()});
  }
  for (auto& e : fs::directory_iterator(tmp, ec)) {
    auto name = e.path().filename().string();
    if (!e.is_regular_file() || !is_db_file(name)) continue;
    if (name.size() < 3 || name.compare(name.size() - 3, 3, ".db") != 0) {
      fs::remove(e.path(), ec);  // a -wal/-shm the copy left behind holds nothing the .db lacks
      continue;
    }
    auto h = copy_hashed(e.path(), nullptr);
    if (!h) return h.error();
    files.push_back({h->sha256, h->size, name});
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });

  // One flush for every new file, then the renames, then the manifest and its flush.
  if (auto s = sync_filesystem(o.dest); !s) return s.error();
  for (const auto& bid : pinned) {
    auto final_path = dest_blobs.path_of(bid);
    if (auto m = make_dirs(final_path->parent_path()); !m) return m.error();
    if (::rename((o.dest / "blobs" / "tmp" / bid).c_str(), final_path->c_str()) != 0)
      return io_error("cannot rename into " + final_path->string());
  }
  backup::manifest m;
  m.snapshot = id;
  m.created = static_cast<std::int64_t>(std::time(nullptr));
  m.files = std::move(files);
  for (const auto& bid : ids) {
    auto dp = dest_blobs.path_of(bid);
    struct stat st {};
    if (!dp || ::stat(dp->c_str(), &st) != 0) continue;  // counted in `missing`
    m.blobs.push_back({bid, static_cast<std::uint64_t>(st.st_size), ""});
    r.blob_bytes += static_cast<std::uint64_t>(st.st_size);
  }
  r.blobs = m.blobs.size();
  r.files = m.files.size();
  for (const auto& f : m.files) r.file_bytes += f.size;
  if (auto w = write_file(tmp / manifest_name, backup::format(m)); !w) return w.error();
  if (auto s = sync_filesystem(o.dest); !s) return s.error();
  if (::rename(tmp.c_str(), (o.dest / "snapshots" / id).c_str()) != 0) return io_error("cannot complete snapshot " + id);
  tmp_guard.p.clear();
  if (auto s = sync_filesystem(o.dest); !s) return s.error();
  if (missing > 0)
    return fail("backup.missing_blobs", std::to_string(missing) +
                                            " blob(s) named by the database are missing from the data directory; snapshot " +
                                            id + " was written without them");

  apply_retention(o.dest, o.keep, r);
  r.seconds = since(t0);
  return r;
}

result<std::vector<backup::manifest>> list_snapshots(const fs::path& dest) {
  std::vector<backup::manifest> out;
  std::error_code ec;
  fs::directory_iterator it(dest / "snapshots", ec);
  if (ec) return fail("backup.io", "cannot read " + (dest / "snapshots").string() + ": " + ec.message());
  for (auto& e : it) {
    auto name = e.path().filename().string();
    if (name.rfind(tmp_prefix, 0) == 0 || !e.is_directory()) continue;
    if (auto m = read_manifest(e.path())) out.push_back(std::move(*m));
  }
  sort_snapshots(out);
  return out;
}

result<verify_report> verify_backup(const fs::path& dest, const std::optional<std::string>& snapshot) {
  verify_report r;
  std::error_code ec;
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(dest / "snapshots", ec)) {
    auto name = e.path().filename().string();
    if (name.rfind(tmp_prefix, 0) == 0 || !e.is_directory()) continue;
    if (!snapshot || *snapshot == name) names.push_back(name);
  }
  if (ec) return fail("backup.io", "cannot read " + (dest / "snapshots").string() + ": " + ec.message());
  if (snapshot && names.empty()) return fail("backup.usage", "no snapshot " + *snapshot + " in " + dest.string());
  std::sort(names.begin(), names.end());
  blob::store blobs(dest / "blobs");
  std::map<std::string, std::string> blob_state;  // id -> "" when good, else the problem
  for (const auto& name : names) {
    const fs::path dir = dest / "snapshots" / name;
    auto m = read_manifest(dir);
    if (!m) {
      r.problems.push_back(m.error().message);
      continue;
    }
    ++r.snapshots;
    for (const auto& f : m->files) {
      ++r.files;
      auto h = copy_hashed(dir / f.path, nullptr);
      if (!h)
        r.problems.push_back(name + ": " + f.path + ": missing or unreadable");
      else if (h->sha256 != f.sha256 || h->size != f.size)
        r.problems.push_back(name + ": " + f.path + ": checksum mismatch (damaged)");
    }
    for (const auto& b : m->blobs) {
      ++r.blobs;
      auto [it, fresh] = blob_state.try_emplace(b.sha256);
      if (fresh) {
        auto p = blobs.path_of(b.sha256);
        auto h = p ? copy_hashed(*p, nullptr) : result<hashed>(p.error());
        if (!h)
          it->second = "missing";
        else if (h->sha256 != b.sha256 || h->size != b.size)
          it->second = "checksum mismatch (damaged)";
      }
      if (!it->second.empty()) r.problems.push_back(name + ": blob " + b.sha256 + ": " + it->second);
    }
  }
  return r;
}

result<restore_report> restore_backup(const fs::path& dest, const std::optional<std::string>& snapshot,
                                      const fs::path& dir) {
  restore_report r;
  std::string id;
  if (snapshot) {
    if (!backup::valid_snapshot_id(*snapshot)) return fail("backup.usage", "not a snapshot id: " + *snapshot);
    id = *snapshot;
  } else {
    auto list = list_snapshots(dest);
    if (!list) return list.error();
    if (list->empty()) return fail("backup.usage", "no complete snapshot in " + dest.string());
    id = list->back().snapshot;
  }
  auto m = read_manifest(dest / "snapshots" / id);
  if (!m) return m.error();
  r.snapshot = id;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
    return fail("backup.usage", dir.string() + " exists and is not empty: restore builds a new data directory");
  if (auto d = make_dirs(dir / "blobs"); !d) return d.error();
  ::chmod(dir.c_str(), 0700);

  const fs::path from = dest / "snapshots" / id;
  for (const auto& f : m->files) {
    const fs::path to = dir / f.path;
    if (auto d = make_dirs(to.parent_path()); !d) return d.error();
    auto h = copy_hashed(from / f.path, &to);
    if (!h) return h.error();
    if (h->sha256 != f.sha256 || h->size != f.size)
      return fail("backup.corrupt", id + ": " + f.path + " does not match its checksum; restore stopped");
    ++r.files;
    r.bytes += h->size;
  }
  blob::store src(dest / "blobs");
  blob::store out(dir / "blobs");
  for (const auto& b : m->blobs) {
    auto sp = src.path_of(b.sha256);
    auto dp = out.path_of(b.sha256);
    if (!sp || !dp) return fail("backup.manifest", "bad blob id in the manifest");
    if (auto d = make_dirs(dp->parent_path()); !d) return d.error();
    auto h = copy_hashed(*sp, &*dp);
    if (!h) return fail("backup.corrupt", id + ": blob " + b.sha256 + " is missing from " + dest.string());
    if (h->sha256 != b.sha256 || h->size != b.size)
      return fail("backup.corrupt", id + ": blob " + b.sha256 + " does not match its checksum; restore stopped");
    ++r.blobs;
    r.bytes += h->size;
  }
  if (auto s = sync_filesystem(dir); !s) return s.error();
  return r;
}

}  // namespace hearth::app
