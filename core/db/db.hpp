// A thin C++ layer over the sqlite3 C API: connections, prepared statements (cached per
// connection), RAII transactions, a per-thread connection pool and schema migrations.
//
// Threads (ARCHITECTURE.md "Threads and storage"): one connection per thread. A `connection`
// and its `statement`s are NOT thread-safe; `database::get()` is, and hands each thread its own
// connection. Several processes may share one file (WAL mode + busy_timeout).
//
// Errors are values (hearth::result). Codes:
//   "db.open"       the file cannot be opened or configured
//   "db.busy"       the database stayed locked past busy_timeout (another writer)
//   "db.constraint" a UNIQUE / FOREIGN KEY / CHECK / NOT NULL constraint failed
//   "db.error"      anything else (syntax, I/O, misuse); the message carries sqlite's text
//   "db.schema_newer", "db.migration" from migrate()
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/util/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace hearth::db {

class connection;
namespace detail {
struct connection_impl;
}

// A prepared statement borrowed from its connection's cache. Move-only. Must not outlive the
// connection that prepared it. On destruction it is reset, its bindings cleared, and it goes
// back to the cache for the next prepare() of the same SQL text.
class statement {
 public:
  statement(statement&& o) noexcept;
  statement& operator=(statement&& o) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement();

  // bind(index, value): index is 1-based, as in SQL "?1". Values: any integer type or bool
  // (stored as INTEGER), double, text (string_view / string / const char*, copied), blob
  // (span of bytes, copied), nullptr (NULL), std::optional<T> (NULL when empty).
  // A bind error (index out of range...) is remembered and returned by the next step()/run(),
  // so calls can be chained: st.bind(1, a).bind(2, b); then check step().
  template <class T>
    requires std::is_integral_v<T>
  statement& bind(int index, T v) { return bind_int64(index, static_cast<std::int64_t>(v)); }
  statement& bind(int index, double v);
  statement& bind(int index, std::string_view v);
  statement& bind(int index, const std::string& v) { return bind(index, std::string_view(v)); }
  statement& bind(int index, const char* v) { return v ? bind(index, std::string_view(v)) : bind(index, nullptr); }
  statement& bind(int index, std::span<const std::uint8_t> v);
  statement& bind(int index, std::span<const std::byte> v);
  statement& bind(int index, const std::vector<std::uint8_t>& v) { return bind(index, std::span<const std::uint8_t>(v)); }
  statement& bind(int index, std::nullptr_t);
  template <class T>
  statement& bind(int index, const std::optional<T>& v) { return v ? bind(index, *v) : bind(index, nullptr); }

  // Binds the arguments by position: the first to ?1, the second to ?2, ...
  template <class... Args>
  statement& bind_all(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  // Returns true when a row is available, false when the statement is done.
  // Errors: see the header comment; after an error the statement is reset.
  result<bool> step();
  // Steps until done, ignoring any rows (INSERT/UPDATE/DELETE). Then resets, keeping bindings.
  result<void> run();
  // Back to before the first step; bindings are cleared too.
  void reset();

  // Column accessors for the current row (index 0-based, as in sqlite3_column_*). An index out
  // of range reads as NULL (0 / "" / empty).
  int column_count() const;
  bool column_is_null(int index) const;
  std::int64_t column_int64(int index) const;
  double column_double(int index) const;
  std::string column_text(int index) const;
  std::vector<std::uint8_t> column_blob(int index) const;
  std::optional<std::int64_t> column_opt_int64(int index) const {
    if (column_is_null(index)) return std::nullopt;
    return column_int64(index);
  }

  sqlite3_stmt* native_handle() const { return stmt_; }

 private:
  friend class connection;
  statement(detail::connection_impl* owner, std::string sql, sqlite3_stmt* s)
      : owner_(owner), sql_(std::move(sql)), stmt_(s) {}
  statement& bind_int64(int index, std::int64_t v);
  statement& check_bind(int rc);
  void release() noexcept;

  detail::connection_impl* owner_ = nullptr;
  std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
  std::optional<hearth::error> bind_error_;
};

// One sqlite3 connection. Move-only; not thread-safe (use one per thread: see `database`).
class connection {
 public:
  // Opens (creating if missing) the file and sets journal_mode=WAL, foreign_keys=ON,
  // busy_timeout=5000 ms and synchronous=NORMAL. ":memory:" opens a private in-memory database.
  // Errors: "db.open".
  static result<connection> open(const std::filesystem::path& path);

  connection(connection&&) noexcept;
  connection& operator=(connection&&) noexcept;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  // Runs one or more SQL statements separated by ';' (no parameters, rows ignored).
  result<void> exec(std::string_view sql);
  // Prepares exactly one SQL statement; the compiled form is cached by SQL text, so prepare()
  // with a constant string is cheap after the first call. The same SQL can be in use by
  // several live statements at once (each gets its own sqlite3_stmt).
  result<statement> prepare(std::string_view sql);

  std::int64_t last_insert_rowid() const;
  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  int changes() const;
  // True while a transaction is open on this connection.
  bool in_transaction() const;

  sqlite3* native_handle() const;

 private:
  connection() = default;
  std::unique_ptr<detail::connection_impl> impl_;
};

enum class durability {
  normal,  // synchronous=NORMAL: WAL commits survive a process crash, maybe not power loss
  full,    // synchronous=FULL for this commit: fsync'd before commit() returns
};

// RAII transaction: BEGIN IMMEDIATE (takes the write lock up front, so a read-then-write
// transaction cannot fail halfway with SQLITE_BUSY). Rolled back in the destructor unless
// commit() succeeded — including during stack unwinding. Not nestable.
//
// durability::full sets PRAGMA synchronous=FULL before BEGIN (sqlite refuses to change it
// inside a transaction) and back to NORMAL once the transaction ends (ARCHITECTURE.md
// principle 3: data acknowledged to a client must survive kill -9 and power loss).
class transaction {
 public:
  // Throws hearth::error_exception if BEGIN fails (use begin() to get the error as a value).
  explicit transaction(connection& c, durability d = durability::normal);
  // The value form. Errors: "db.busy", "db.error".
  static result<transaction> begin(connection& c, durability d = durability::normal);

  transaction(transaction&& o) noexcept;
  transaction& operator=(transaction&&) = delete;
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();

  // COMMIT. On error the transaction is rolled back. Calling it twice is an error.
  result<void> commit();
  // Explicit ROLLBACK (the destructor does it anyway).
  void rollback() noexcept;

 private:
  transaction(connection* c, durability d) : conn_(c), durability_(d) {}
  result<void> start();
  void end_durability() noexcept;

  connection* conn_ = nullptr;  // null once committed / rolled back / moved from
  durability durability_ = durability::normal;
};

// A database file shared by the threads of a process: get() gives the calling thread its own
// connection, opened on first use. A thread's connection is closed when the thread ends or
// when the database object is destroyed, whichever comes first. Destroy the database only
// once no thread is still using a connection it returned.
class database {
 public:
  // Opens the calling thread's first connection to check that the file is usable.
  // Errors: "db.open".
  static result<database> open(const std::filesystem::path& path);

  database(database&&) noexcept;
  database& operator=(database&&) noexcept;
  database(const database&) = delete;
  database& operator=(const database&) = delete;
  ~database();

  // Thread-safe. The reference is valid on the calling thread until that thread ends or the
  // database is destroyed. Throws hearth::error_exception if a new connection cannot be opened
  // (file descriptors exhausted, file deleted...): rare, and fatal for the request.
  connection& get();
  // Same, as a value.
  result<connection*> try_get();

  const std::filesystem::path& path() const;
  // Number of open connections (one per thread that called get()); for tests and stats.
  std::size_t connection_count() const;

  struct state;

 private:
  database() = default;
  std::shared_ptr<state> state_;
};

// ---- migrations ---------------------------------------------------------------------------

struct migration {
  int version;                   // 1, 2, 3... strictly increasing within a component
  std::string_view description;  // recorded in schema_migrations
  std::string_view sql;          // one or more statements
};

// Brings `component`'s schema up to the last migration: records each applied one in
// schema_migrations(component, version, description, applied_at), applies the missing ones in
// order, each in its own (durable) transaction, and returns the resulting version. Safe when
// several processes start at once: the version is re-read under the write lock.
// Errors: "db.schema_newer" if the file has a version newer than `migrations` knows (a newer
// Hearth wrote it: refuse rather than corrupt); "db.migration" if the list is not strictly
// increasing or a migration's SQL fails (that migration is rolled back, earlier ones stay).
result<int> migrate(connection& c, std::string_view component, std::span<const migration> migrations);

// The version recorded for `component` (0 if none).
result<int> schema_version(connection& c, std::string_view component);

}  // namespace hearth::db
