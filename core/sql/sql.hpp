// One SQL interface over both engines, so that each store's SQL implementation is written
// once and runs on SQLite (the default: one file in the data directory) and on PostgreSQL
// (`[database] url`, for several nodes). Stores keep their interface (what the protocol needs)
// above this; this is what their one implementation is written against.
//
// The dialect is the common subset of SQLite 3.40 and PostgreSQL 15, with SQLite's `?1`
// placeholders (the PostgreSQL driver turns them into `$1`):
//   - new ids with `INSERT ... RETURNING id`, never last_insert_rowid();
//   - `INSERT ... ON CONFLICT (...) DO NOTHING / DO UPDATE`, never INSERT OR IGNORE/REPLACE;
//   - COALESCE, not IFNULL; no scalar MAX(a, b); LIKE only on ASCII-case-exact patterns
//     (SQLite's LIKE folds ASCII case, PostgreSQL's does not);
//   - integers for booleans and times; TEXT and BLOB columns.
// Migrations are written in SQLite's DDL; for PostgreSQL, postgres_ddl() maps the few
// differences (INTEGER PRIMARY KEY, INTEGER, BLOB, REAL, WITHOUT ROWID).
//
// Errors are values with core/db's codes on both engines: "db.open", "db.busy",
// "db.constraint", "db.error", "db.schema_newer", "db.migration".
//
// Threads: database::get() gives the calling thread its own connection, as core/db does; a
// connection and a transaction belong to one thread and must not span a co_await.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::sql {

enum class engine { sqlite, postgres };

// A parameter; views into the caller's data, valid for the call.
using value = std::variant<std::nullptr_t, std::int64_t, double, std::string_view, std::span<const std::uint8_t>>;

template <class T>
  requires std::is_integral_v<T>
value to_value(T v) {
  return static_cast<std::int64_t>(v);
}
inline value to_value(double v) { return v; }
inline value to_value(std::string_view v) { return v; }
inline value to_value(const std::string& v) { return std::string_view(v); }
inline value to_value(const char* v) { return v ? value(std::string_view(v)) : value(nullptr); }
inline value to_value(std::span<const std::uint8_t> v) { return v; }
inline value to_value(const std::vector<std::uint8_t>& v) { return std::span<const std::uint8_t>(v); }
inline value to_value(std::nullptr_t) { return nullptr; }
template <class T>
value to_value(const std::optional<T>& v) {
  return v ? to_value(*v) : value(nullptr);
}

// The rows a statement returned, read into memory, plus the count of rows it changed.
// Accessors take 0-based row and column indexes; out of range or NULL reads as 0 / "" / {}.
class rows {
 public:
  using cell = std::variant<std::monostate, std::int64_t, double, std::string, std::vector<std::uint8_t>>;

  rows() = default;
  rows(int columns, std::vector<cell> cells, std::int64_t affected)
      : columns_(columns), cells_(std::move(cells)), affected_(affected) {}

  int size() const { return columns_ ? static_cast<int>(cells_.size()) / columns_ : 0; }
  bool empty() const { return size() == 0; }
  int columns() const { return columns_; }
  std::int64_t affected() const { return affected_; }

  bool is_null(int row, int col) const { return std::holds_alternative<std::monostate>(at(row, col)); }
  std::int64_t int64(int row, int col) const;
  double real(int row, int col) const;
  std::string text(int row, int col) const;
  std::vector<std::uint8_t> bytes(int row, int col) const;
  std::optional<std::int64_t> opt_int64(int row, int col) const {
    return is_null(row, col) ? std::nullopt : std::optional(int64(row, col));
  }
  std::optional<std::string> opt_text(int row, int col) const {
    return is_null(row, col) ? std::nullopt : std::optional(text(row, col));
  }

 private:
  const cell& at(int row, int col) const;
  int columns_ = 0;
  std::vector<cell> cells_;
  std::int64_t affected_ = 0;
};

enum class durability {
  normal,  // survives a crash of this process, maybe not of the machine
  full,    // on stable storage when commit() returns: for whatever is acknowledged to a client
};

class connection {
 public:
  virtual ~connection() = default;
  virtual engine kind() const = 0;

  // Statements without parameters, separated by ';'; rows are discarded.
  virtual result<void> exec(std::string_view sql) = 0;
  // One statement; prepared once per connection and cached by its text.
  virtual result<rows> run(std::string_view sql, std::span<const value> params) = 0;

  template <class... Args>
  result<rows> query(std::string_view sql, const Args&... args) {
    const value params[] = {to_value(args)..., value(nullptr)};  // the extra one: no empty array
    return run(sql, std::span<const value>(params, sizeof...(Args)));
  }
  // The first column of the first row as an integer; nullopt when there is no row or it is NULL.
  template <class... Args>
  result<std::optional<std::int64_t>> query_int(std::string_view sql, const Args&... args) {
    auto r = query(sql, args...);
    if (!r) return r.error();
    return r->opt_int64(0, 0);
  }

  virtual result<void> begin(durability d) = 0;
  virtual result<void> commit() = 0;
  virtual void rollback() noexcept = 0;
  virtual bool in_transaction() const = 0;
};

// RAII transaction: rolled back in the destructor unless commit() succeeded. Not nestable.
// It takes the write lock up front on both engines (SQLite: BEGIN IMMEDIATE; PostgreSQL: one
// advisory lock shared by all nodes), so transactions are serialized: a read-then-write
// transaction sees no concurrent change and cannot fail halfway for want of the lock.
// Autocommit reads are never blocked. core/sql/scope.hpp narrows the lock to a scope (a
// mailbox, an account) on PostgreSQL, for writers that touch only that scope's rows.
class transaction {
 public:
  static result<transaction> begin(connection& c, durability d = durability::normal);
  transaction(transaction&& o) noexcept : conn_(o.conn_) { o.conn_ = nullptr; }
  transaction& operator=(transaction&&) = delete;
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction() {
    if (conn_) conn_->rollback();
  }
  result<void> commit();

 private:
  explicit transaction(connection* c) : conn_(c) {}
  connection* conn_ = nullptr;
};

class database {
 public:
  virtual ~database() = default;
  virtual engine kind() const = 0;
  // The calling thread's connection, opened on first use. Throws hearth::error_exception when
  // it cannot be opened (rare, and fatal for the request).
  virtual connection& get() = 0;
  virtual result<connection*> try_get() = 0;
  // Where it is, for messages: the file path, or the URL without its password.
  virtual std::string describe() const = 0;
};

// A PostgreSQL URL ("postgres://...", "postgresql://...") or libpq keywords ("host=... ...")
// opens PostgreSQL; anything else is the path of a SQLite file.
bool is_postgres_target(std::string_view target);
// Errors: "db.open".
result<std::unique_ptr<database>> open(const std::string& target);

struct migration {
  int version;                   // 1, 2, 3... strictly increasing within a component
  std::string_view description;  // recorded in schema_migrations
  std::string_view sql;          // SQLite DDL; see postgres_ddl()
};

// Brings `component`'s schema up to date on either engine (see core/db and core/pg migrate()).
result<int> migrate(connection& c, std::string_view component, std::span<const migration> migrations);

// What every store's open() does: opens `target` (see open()) and brings `component`'s schema
// up to date on the calling thread's connection. Errors: those of open() and migrate().
result<std::unique_ptr<database>> open_migrated(const std::string& target, std::string_view component,
                                                std::span<const migration> migrations);

// SQLite DDL as PostgreSQL DDL: INTEGER PRIMARY KEY -> BIGINT GENERATED BY DEFAULT AS IDENTITY
// PRIMARY KEY, INTEGER -> BIGINT (SQLite integers are 64-bit), TEXT -> TEXT COLLATE "C"
// (bytewise, as SQLite's BINARY), BLOB -> BYTEA, REAL -> DOUBLE PRECISION, "WITHOUT ROWID"
// dropped. Words inside quotes are left alone.
std::string postgres_ddl(std::string_view sqlite_ddl);
// `?N` placeholders as `$N`, outside quotes.
std::string postgres_placeholders(std::string_view sql);

}  // namespace hearth::sql
