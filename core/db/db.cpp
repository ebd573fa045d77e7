#include "core/db/db.hpp"

#include <sqlite3.h>

#include "core/db/checkpointer.hpp"
#include "core/db/group_sync.hpp"
#include "core/db/write_guard.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace hearth::db {

namespace detail {

// SQLite's busy handler waits for the write lock by sleeping 1, 2, 5, 10, 15, 20, 25... ms and
// trying again, so a writer that queues behind another one in the same process often sleeps
// well past the moment the lock was freed (under a mixed IMAP load this was most of the p99 of
// STORE and APPEND). Writers of one file in this process therefore queue on this gate first,
// which wakes the next one as soon as the holder commits; SQLite's lock (and busy_timeout)
// still orders them with other processes. Keyed by the file's path; ":memory:" has none.
std::shared_ptr<std::timed_mutex> write_gate(const std::filesystem::path& path) {
  if (path.empty() || path == ":memory:") return nullptr;
  static auto* mu = new std::mutex;
  static auto* gates = new std::map<std::string, std::weak_ptr<std::timed_mutex>>;
  std::error_code ec;
  auto key = std::filesystem::weakly_canonical(path, ec).string();
  if (ec) key = path.string();
  std::lock_guard lock(*mu);
  auto& slot = (*gates)[key];
  auto gate = slot.lock();
  if (!gate) slot = gate = std::make_shared<std::timed_mutex>();
  return gate;
}

// Lives on the heap so that statements keep a stable pointer while the connection object moves.
struct connection_impl {
  sqlite3* db = nullptr;
  // Idle compiled statements by SQL text; a statement in use is not in the map.
  std::unordered_multimap<std::string, sqlite3_stmt*> idle;
  // Bounds memory if a caller builds SQL dynamically: beyond this, statements are finalized
  // instead of cached.
  static constexpr std::size_t max_cached = 256;
  // The in-process writer queue of this file (write_gate), held from BEGIN IMMEDIATE to the
  // end of the transaction.
  std::shared_ptr<std::timed_mutex> gate;
  bool holds_gate = false;
  // Durable commits of this file share fsyncs of its WAL (group_sync.hpp); null when the
  // file is not in WAL mode, where a durable commit keeps synchronous=FULL.
  std::shared_ptr<group_sync> sync;
  // Frames in the WAL after this connection's last commit (sqlite3_wal_hook), for the
  // checkpoint asked for after the write lock is freed (see transaction::commit).
  int wal_frames = 0;
  // Runs the file's checkpoints on its own thread (checkpointer.hpp); null when not in WAL
  // mode.
  std::shared_ptr<checkpointer> checkpoints;

  ~connection_impl();
};

// transaction reaches its connection's impl through the public handle (connection keeps impl_
// private): every open connection is registered here by its sqlite3 handle. Never destroyed,
// so a connection closed during static destruction still finds it.
struct registry_t {
  std::mutex mu;
  std::unordered_map<sqlite3*, connection_impl*> by_handle;
};
registry_t& registry() {
  static auto* r = new registry_t;
  return *r;
}

connection_impl* impl_of(sqlite3* db) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  auto it = r.by_handle.find(db);
  return it == r.by_handle.end() ? nullptr : it->second;
}

connection_impl::~connection_impl() {
  {
    auto& r = registry();
    std::lock_guard lock(r.mu);
    r.by_handle.erase(db);
  }
  if (holds_gate) gate->unlock();
  for (auto& [sql, st] : idle) sqlite3_finalize(st);
  idle.clear();
  if (db) sqlite3_close_v2(db);
}

}  // namespace detail

namespace {

// How long SQLite's busy handler waits for a lock held by another process.
constexpr int busy_timeout_ms = 5000;

hearth::error make_error(sqlite3* db, int rc, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return fail("db.busy", std::move(msg));
    case SQLITE_CONSTRAINT: return fail("db.constraint", std::move(msg));
    default: return fail("db.error", std::move(msg));
  }
}

bool only_space(const char* p) {
  for (; p && *p; ++p)
    if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != ';') return false;
  return true;
}

}  // namespace

// ---- statement ----------------------------------------------------------------------------

statement::statement(statement&& o) noexcept
    : owner_(o.owner_), sql_(std::move(o.sql_)), stmt_(o.stmt_), bind_error_(std::move(o.bind_error_)) {
  o.owner_ = nullptr;
  o.stmt_ = nullptr;
}

statement& statement::operator=(statement&& o) noexcept {
  if (this != &o) {
    release();
    owner_ = o.owner_;
    sql_ = std::move(o.sql_);
    stmt_ = o.stmt_;
    bind_error_ = std::move(o.bind_error_);
    o.owner_ = nullptr;
    o.stmt_ = nullptr;
  }
  return *this;
}

statement::~statement() { release(); }

void statement::release() noexcept {
  if (!stmt_) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (owner_ && owner_->idle.size() < detail::connection_impl::max_cached) {
    try {
      owner_->idle.emplace(std::move(sql_), stmt_);
    } catch (...) {
      sqlite3_finalize(stmt_);
    }
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
  owner_ = nullptr;
}

statement& statement::check_bind(int rc) {
  if (rc != SQLITE_OK && !bind_error_) bind_error_ = make_error(sqlite3_db_handle(stmt_), rc, "bind");
  return *this;
}

statement& statement::bind_int64(int index, std::int64_t v) { return check_bind(sqlite3_bind_int64(stmt_, index, v)); }
statement& statement::bind(int index, double v) { return check_bind(sqlite3_bind_double(stmt_, index, v)); }
statement& statement::bind(int index, std::string_view v) {
  // A non-null pointer even for "" so that the value is an empty TEXT, not NULL.
  return check_bind(sqlite3_bind_text64(stmt_, index, v.empty() ? "" : v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}
statement& statement::bind(int index, std::span<const std::uint8_t> v) {
  static const std::uint8_t empty = 0;
  return check_bind(sqlite3_bind_blob64(stmt_, index, v.empty() ? &empty : v.data(), v.size(), SQLITE_TRANSIENT));
}
statement& statement::bind(int index, std::span<const std::byte> v) {
  return bind(index, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(v.data()), v.size()));
}
statement& statement::bind(int index, std::nullptr_t) { return check_bind(sqlite3_bind_null(stmt_, index)); }

result<bool> statement::step() {
  if (!stmt_) return fail("db.error", "step on an empty statement");
  if (bind_error_) {
    auto e = std::move(*bind_error_);
    bind_error_.reset();
    sqlite3_reset(stmt_);
    return e;
  }
  // A statement that writes would take SQLite's write lock (and wait for it) on its first step.
  if (!sqlite3_stmt_busy(stmt_) && !sqlite3_stmt_readonly(stmt_) && !detail::may_write())
    return fail("db.would_write", "write refused: this thread runs reads only");
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  auto e = make_error(sqlite3_db_handle(stmt_), rc, "step");
  sqlite3_reset(stmt_);
  return e;
}

result<void> statement::run() {
  for (;;) {
    auto r = step();
    if (!r) return r.error();
    if (!*r) break;
  }
  sqlite3_reset(stmt_);
  return {};
}

void statement::reset() {
  if (!stmt_) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_.reset();
}

int statement::column_count() const { return stmt_ ? sqlite3_column_count(stmt_) : 0; }
bool statement::column_is_null(int i) const {
  return i < 0 || i >= column_count() || sqlite3_column_type(stmt_, i) == SQLITE_NULL;
}
std::int64_t statement::column_int64(int i) const {
  return i < 0 || i >= column_count() ? 0 : sqlite3_column_int64(stmt_, i);
}
double statement::column_double(int i) const {
  return i < 0 || i >= column_count() ? 0.0 : sqlite3_column_double(stmt_, i);
}
std::string statement::column_text(int i) const {
  if (i < 0 || i >= column_count()) return {};
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
  int n = sqlite3_column_bytes(stmt_, i);  // after _text, as sqlite requires
  return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}
std::vector<std::uint8_t> statement::column_blob(int i) const {
  if (i < 0 || i >= column_count()) return {};
  auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, i));
  int n = sqlite3_column_bytes(stmt_, i);
  return p ? std::vector<std::uint8_t>(p, p + n) : std::vector<std::uint8_t>();
}

// ---- connection ---------------------------------------------------------------------------

connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&&) noexcept = default;
connection::~connection() = default;

result<connection> connection::open(const std::filesystem::path& path) {
  connection c;
  c.impl_ = std::make_unique<detail::connection_impl>();
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &c.impl_->db, flags, nullptr);
  if (rc != SQLITE_OK) {
    auto e = make_error(c.impl_->db, rc, "open " + path.string());
    return fail("db.open", e.message);
  }
  sqlite3_extended_result_codes(c.impl_->db, 1);
  c.impl_->gate = detail::write_gate(path);
  {
    auto& reg = detail::registry();
    std::lock_guard lock(reg.mu);
    reg.by_handle[c.impl_->db] = c.impl_.get();
  }
  // busy_timeout first: setting WAL needs a lock that another process may hold.
  sqlite3_busy_timeout(c.impl_->db, busy_timeout_ms);
  auto r = c.exec("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
  if (!r) return fail("db.open", "configure " + path.string() + ": " + r.error().message);
  // Group commit relies on the WAL: a commit with synchronous=NORMAL is complete in the WAL
  // and only waits for its fsync. Another journal mode keeps the per-commit FULL sync.
  if (c.impl_->gate) {
    // Asked of SQLite directly: statement::step refuses "PRAGMA journal_mode" (not read-only
    // to SQLite) inside a no_write_scope, and a connection opened by an I/O thread's first
    // inline command would then miss its group sync and WAL hook for good.
    bool wal = false;
    sqlite3_stmt* mode = nullptr;
    if (sqlite3_prepare_v2(c.impl_->db, "PRAGMA journal_mode", -1, &mode, nullptr) == SQLITE_OK &&
        sqlite3_step(mode) == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(mode, 0));
      wal = text && std::string_view(text) == "wal";
    }
    sqlite3_finalize(mode);
    if (wal) {
      c.impl_->sync = detail::sync_group(path);
      c.impl_->checkpoints = detail::checkpointer_for(path);
      // SQLite's automatic checkpoint runs inside COMMIT, while this process's writer gate is
      // held, and syncs the WAL and the database file: every writer queued behind it for two
      // fsyncs. The hook only notes the WAL's size; commit() asks the file's checkpointer
      // once the gate is free.
      sqlite3_wal_hook(
          c.impl_->db,
          [](void* arg, sqlite3*, const char*, int frames) {
            static_cast<detail::connection_impl*>(arg)->wal_frames = frames;
            return SQLITE_OK;
          },
          c.impl_.get());
    }
  }
  return c;
}

result<void> connection::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(impl_->db, s.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return {};
  std::string msg = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  auto e = make_error(nullptr, rc, "exec");
  e.message = "exec: " + msg;
  return e;
}

result<statement> connection::prepare(std::string_view sql) {
  std::string key(sql);
  if (auto it = impl_->idle.find(key); it != impl_->idle.end()) {
    sqlite3_stmt* st = it->second;
    impl_->idle.erase(it);
    return statement(impl_.get(), std::move(key), st);
  }
  sqlite3_stmt* st = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(impl_->db, key.c_str(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT, &st, &tail);
  if (rc != SQLITE_OK) return make_error(impl_->db, rc, "prepare");
  if (!st) return fail("db.error", "prepare: empty SQL");
  if (!only_space(tail)) {
    sqlite3_finalize(st);
    return fail("db.error", "prepare: more than one statement (use exec)");
  }
  return statement(impl_.get(), std::move(key), st);
}

std::int64_t connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(impl_->db); }
int connection::changes() const { return sqlite3_changes(impl_->db); }
bool connection::in_transaction() const { return sqlite3_get_autocommit(impl_->db) == 0; }
sqlite3* connection::native_handle() const { return impl_ ? impl_->db : nullptr; }

// ---- transaction --------------------------------------------------------------------------

namespace {
// Whether a durable commit on c waits for a group fsync of the WAL (group_sync.hpp) rather
// than running with synchronous=FULL.
bool grouped(const detail::connection_impl* impl) { return impl && impl->sync; }

// A write on a thread that must not wait (write_guard.hpp, quick_writes): only on a WAL file
// whose in-process gate is free now; SQLite's busy handler is off for the BEGIN, so another
// process holding the lock makes it fail at once instead of sleeping.
result<void> begin_without_waiting(connection& c, detail::connection_impl* impl) {
  const auto refused = [] {
    detail::refused();
    return fail("db.would_write", "write refused: the write lock is busy");
  };
  if (!impl || !impl->gate || !impl->sync || impl->holds_gate) return refused();
  if (!impl->gate->try_lock()) return refused();
  sqlite3_busy_timeout(impl->db, 0);
  auto r = c.exec("BEGIN IMMEDIATE");
  sqlite3_busy_timeout(impl->db, busy_timeout_ms);
  if (!r) {
    impl->gate->unlock();
    return refused();
  }
  impl->holds_gate = true;
  detail::quick_started();
  return {};
}
}  // namespace

result<void> transaction::start() {
  const auto policy = detail::transaction_policy(durability_ == durability::full);
  if (policy == detail::begin_policy::refuse) return fail("db.would_write", "write refused: this thread runs reads only");
  auto* impl = detail::impl_of(conn_->native_handle());
  if (policy == detail::begin_policy::no_wait) return begin_without_waiting(*conn_, impl);
  if (durability_ == durability::full && !grouped(impl)) {
    if (auto r = conn_->exec("PRAGMA synchronous=FULL"); !r) return r;
  }
  // Bounded like busy_timeout: a thread that already writes this file through another
  // connection must not wait for itself forever; past the bound SQLite decides, as before.
  if (impl && impl->gate && !impl->holds_gate) impl->holds_gate = impl->gate->try_lock_for(std::chrono::seconds(5));
  if (auto r = conn_->exec("BEGIN IMMEDIATE"); !r) {
    end_durability();
    return r;
  }
  return {};
}

void transaction::end_durability() noexcept {
  auto* impl = detail::impl_of(conn_->native_handle());
  if (durability_ == durability::full && !grouped(impl)) (void)conn_->exec("PRAGMA synchronous=NORMAL");
  if (impl && impl->holds_gate) {
    impl->holds_gate = false;
    impl->gate->unlock();
  }
}

transaction::transaction(connection& c, durability d) : conn_(&c), durability_(d) {
  if (auto r = start(); !r) {
    conn_ = nullptr;
    throw error_exception(r.error());
  }
}

result<transaction> transaction::begin(connection& c, durability d) {
  transaction t(&c, d);
  if (auto r = t.start(); !r) {
    t.conn_ = nullptr;
    return r.error();
  }
  return t;
}

transaction::transaction(transaction&& o) noexcept : conn_(o.conn_), durability_(o.durability_) { o.conn_ = nullptr; }

transaction::~transaction() { rollback(); }

result<void> transaction::commit() {
  if (!conn_) return fail("db.error", "commit: transaction already ended");
  auto r = conn_->exec("COMMIT");
  if (!r) {
    rollback();
    return r;
  }
  end_durability();  // frees the write lock: the next writer need not wait for our fsync
  auto* impl = detail::impl_of(conn_->native_handle());
  conn_ = nullptr;
  // A quick transaction (write_guard.hpp) leaves the checkpoint to the next commit elsewhere
  // (an APPEND's), unless the WAL grew far past the threshold with no such commit.
  const bool quick = detail::in_quick_transaction();
  if (quick) detail::quick_ended(true);
  // SQLite's own threshold (1000 frames). The checkpoint itself runs on the file's own thread
  // (checkpointer.hpp): this commit's caller does not wait for it.
  if (impl && impl->checkpoints) {
    impl->checkpoints->committed();
    if (impl->wal_frames >= (quick ? 8000 : 1000)) {
      impl->wal_frames = 0;
      impl->checkpoints->request();
    }
  }
  if (durability_ == durability::full && grouped(impl) && !impl->sync->wait_durable())
    return fail("db.error", "commit: fsync of the write-ahead log failed");
  return {};
}

void transaction::rollback() noexcept {
  if (!conn_) return;
  // After some errors sqlite has already rolled back; ROLLBACK would then fail harmlessly.
  if (conn_->in_transaction()) (void)conn_->exec("ROLLBACK");
  end_durability();
  if (detail::in_quick_transaction()) detail::quick_ended(false);
  conn_ = nullptr;
}

}  // namespace hearth::db
