// A thin C++ layer over libpq for the PostgreSQL backend: connections with prepared statements
// cached per connection, result sets, RAII transactions, a thread-safe pool, schema migrations
// and LISTEN/NOTIFY. The counterpart of core/db (SQLite) with the same error codes, so a store
// written against one reads the same against the other:
//   "db.open"       cannot connect, or the connection broke (the pool drops such connections)
//   "db.busy"       retry: serialization failure, deadlock, lock not available, pool exhausted
//   "db.constraint" SQLSTATE class 23 (unique, foreign key, check, not null)
//   "db.error"      anything else; the message carries the server's text
//   "db.schema_newer", "db.migration" from migrate()
//
// Threads: a `connection` is not thread-safe; a `pool` is, and lends each caller a connection
// for as long as it holds the `lease`. Calls block (libpq's synchronous API): like SQLite work,
// they run on the blocking pool, never on an I/O thread.
//
// Parameters are passed as text, except byte strings, which go as binary bytea: integers,
// bool (as 1/0, which PostgreSQL accepts for boolean and integer columns alike), double,
// strings, spans/vectors of bytes, nullptr and std::optional<T> (NULL when empty).
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/util/result.hpp"

struct pg_conn;
struct pg_result;

namespace hearth::pg {

// One parameter, already converted for libpq.
struct param {
  std::optional<std::string> value;  // nullopt is SQL NULL
  bool binary = false;               // bytea sent in binary format
};

template <class T>
  requires std::is_integral_v<T>
param to_param(T v) {
  if constexpr (std::is_same_v<T, bool>) return {std::string(v ? "1" : "0")};
  else return {std::to_string(v)};
}
param to_param(double v);
param to_param(std::string_view v);
inline param to_param(const std::string& v) { return to_param(std::string_view(v)); }
inline param to_param(const char* v) { return v ? to_param(std::string_view(v)) : param{}; }
param to_param(std::span<const std::uint8_t> v);
inline param to_param(const std::vector<std::uint8_t>& v) { return to_param(std::span<const std::uint8_t>(v)); }
inline param to_param(std::nullptr_t) { return {}; }
template <class T>
param to_param(const std::optional<T>& v) {
  return v ? to_param(*v) : param{};
}

// The rows a statement returned (none for INSERT/UPDATE/DELETE without RETURNING). Move-only.
// Column accessors take 0-based row and column indexes; out of range reads as NULL.
class rows {
 public:
  rows() = default;
  explicit rows(pg_result* r) : res_(r) {}
  rows(rows&& o) noexcept : res_(o.res_) { o.res_ = nullptr; }
  rows& operator=(rows&& o) noexcept;
  rows(const rows&) = delete;
  rows& operator=(const rows&) = delete;
  ~rows();

  int size() const;
  int columns() const;
  bool empty() const { return size() == 0; }
  // Rows changed by an INSERT/UPDATE/DELETE (PQcmdTuples).
  std::int64_t affected() const;

  bool is_null(int row, int col) const;
  std::string text(int row, int col) const;
  // Integers (and booleans, as 1/0) parsed from the text form; 0 for NULL or non-numbers.
  std::int64_t int64(int row, int col) const;
  std::optional<std::int64_t> opt_int64(int row, int col) const {
    if (is_null(row, col)) return std::nullopt;
    return int64(row, col);
  }
  double real(int row, int col) const;
  // The column's PostgreSQL type (pg_type OID: 16 bool, 17 bytea, 20/21/23 integers, 25 text...).
  unsigned type_oid(int col) const;
  // A bytea column, decoded from its hex text form.
  std::vector<std::uint8_t> bytes(int row, int col) const;

 private:
  pg_result* res_ = nullptr;
};

struct notification {
  std::string channel;
  std::string payload;
  int sender_pid = 0;
};

// Times this process waited for a server's answer, on every connection (one per statement
// run alone, one per batch of queued statements): for tests and benchmarks. Thread-safe.
std::uint64_t round_trips();

// One server connection. Move-only; not thread-safe.
class connection {
 public:
  // `url`: a libpq connection URI or keyword string ("postgres://user@host:5432/db",
  // "host=/run/pg dbname=hearth"). The session runs in UTC with standard_conforming_strings.
  static result<connection> open(const std::string& url);

  connection(connection&&) noexcept;
  connection& operator=(connection&&) noexcept;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  // Runs SQL with no parameters: one or more statements separated by ';'. Rows are discarded.
  // A lone BEGIN (or START TRANSACTION) is queued rather than sent (see queue()), and a COMMIT
  // or ROLLBACK that ends a transaction of which nothing but its setup was sent sends nothing.
  // A lone ROLLBACK, and the COMMIT of a transaction begun READ ONLY, are sent without waiting
  // for their answer, which the connection's next statement (or healthy()) reads first.
  result<void> exec(std::string_view sql);

  // Runs one statement with $1, $2... parameters. Prepared once per connection (cached by SQL
  // text), so a constant string costs a parse only the first time.
  template <class... Args>
  result<rows> query(std::string_view sql, const Args&... args) {
    std::vector<param> ps;
    ps.reserve(sizeof...(Args));
    (ps.push_back(to_param(args)), ...);
    return query_params(sql, ps);
  }
  result<rows> query_params(std::string_view sql, const std::vector<param>& params);

  // Statements whose rows nobody reads (the writes of a transaction, its BEGIN) need not cost a
  // round trip each: queue() keeps one, and the next call that waits for the server
  // (query_params, exec, flush) sends everything queued ahead of its own statement in one
  // pipeline (libpq pipeline mode) and reads every answer in one wait. The first queued
  // statement that fails is that call's error; the statements after it in the batch (the
  // call's own included) are not run, and an open transaction is then failed, as if each had
  // been run alone. `setup`: a statement that only prepares a transaction (BEGIN, SET LOCAL,
  // its lock), dropped unsent if the transaction ends with nothing else sent.
  // Parameters are copied. A statement with parameters is prepared and cached as query_params'.
  void queue(std::string_view sql, std::vector<param> params = {}, bool setup = false);
  // Statements whose rows are read but which do not need each other's rows (a transaction's
  // checks of several keys, a read that goes with them): sent after what is queued, in the
  // same pipeline, and answered in one round trip. Each runs after the one before it, so
  // under READ COMMITTED each sees what committed before it started. Returns the rows of
  // each, in order; errors as query_params (the first one met; the statements after it are
  // not run). Prepared and cached as query_params' statements are.
  struct statement {
    std::string_view sql;
    std::vector<param> params;
  };
  result<std::vector<rows>> query_batch(std::span<const statement> statements);
  // Ends the open transaction with `read` as its last statement: what is queued, `read` and
  // COMMIT go in one pipeline, answered in one round trip, and the read's rows come back. The
  // read sees the transaction's own writes. Errors: the first statement's error met, the
  // COMMIT's included; after any error nothing is committed (the transaction is failed, or
  // the server rolled it back). A transaction::commit() after success sends nothing.
  result<rows> commit_with(const statement& read);
  // Sends what is queued and waits for it: one round trip, none when nothing is queued.
  result<void> flush();
  std::size_t queued() const;

  // LISTEN / NOTIFY. Channel names are identifiers: letters, digits and '_' only.
  result<void> listen(std::string_view channel);
  result<void> notify(std::string_view channel, std::string_view payload);
  // Waits up to `timeout` for notifications and returns those that arrived (possibly none).
  result<std::vector<notification>> wait_notifications(std::chrono::milliseconds timeout);

  // True when the server side is usable, no transaction is left open, nothing is queued and
  // nothing unasked waits on the socket (a FATAL from a server that ended the session; see
  // connection.cpp).
  bool healthy() const;
  // True inside a transaction, or when statements are queued (they will run in one).
  bool in_transaction() const;
  // True when the open transaction hit an error and can only be rolled back.
  bool transaction_failed() const;
  // The server's process id for this connection (for tests and logs).
  int backend_pid() const;

 private:
  connection() = default;
  struct impl;
  std::unique_ptr<impl> impl_;
};

enum class durability {
  normal,  // synchronous_commit=off for this transaction: survives our crash, maybe not the server's
  full,    // the default: COMMIT returns once the WAL is flushed on the server
};

// RAII transaction, rolled back in the destructor unless commit() succeeded. Not nestable.
class transaction {
 public:
  // BEGIN is queued (connection::queue()), so it travels with the transaction's first
  // statement; its errors are that statement's. Errors here: none today.
  static result<transaction> begin(connection& c, durability d = durability::full);
  transaction(transaction&& o) noexcept : conn_(o.conn_) { o.conn_ = nullptr; }
  transaction& operator=(transaction&&) = delete;
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();

  // COMMIT, sent after what is queued, in one round trip; on error the transaction is over (the server rolled it back). "db.busy" when the
  // commit lost a serialization race: the caller may run the whole transaction again.
  result<void> commit();
  void rollback() noexcept;

 private:
  explicit transaction(connection* c) : conn_(c) {}
  connection* conn_ = nullptr;
};

// A fixed-size set of connections shared by threads. Connections are opened on demand up to
// `max_size`; acquire() waits up to `wait` for one to come back, then fails with "db.busy".
// A connection returned broken or inside a transaction is closed rather than reused.
class pool {
 public:
  struct options {
    std::size_t max_size = 8;
    std::chrono::milliseconds wait{5000};
  };
  // Opens one connection to check the URL. Errors: "db.open".
  static result<pool> open(const std::string& url, options opt);
  static result<pool> open(const std::string& url) { return open(url, options{}); }

  class lease {
   public:
    lease(lease&& o) noexcept : pool_(std::move(o.pool_)), conn_(std::move(o.conn_)) {}
    lease& operator=(lease&&) = delete;
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease();
    connection& operator*() { return *conn_; }
    connection* operator->() { return conn_.get(); }

   private:
    friend class pool;
    struct state;
    lease(std::shared_ptr<state> p, std::unique_ptr<connection> c) : pool_(std::move(p)), conn_(std::move(c)) {}
    std::shared_ptr<state> pool_;
    std::unique_ptr<connection> conn_;
  };

  result<lease> acquire();
  // Connections currently open (lent or idle); for tests and stats.
  std::size_t open_count() const;

 private:
  pool() = default;
  std::shared_ptr<lease::state> state_;
};

// ---- migrations ---------------------------------------------------------------------------

struct migration {
  int version;                   // 1, 2, 3... strictly increasing within a component
  std::string_view description;  // recorded in schema_migrations
  std::string_view sql;          // one or more statements
};

// Brings `component`'s schema up to its last migration, each migration in its own transaction,
// and returns the resulting version. Several nodes starting at once are serialized by an
// advisory lock, so each migration runs exactly once.
// Errors: "db.schema_newer" when the database knows a later version than `migrations` (a newer
// Hearth wrote it); "db.migration" when the list is not strictly increasing or a migration
// fails (that one is rolled back, earlier ones stay).
result<int> migrate(connection& c, std::string_view component, std::span<const migration> migrations);
result<int> schema_version(connection& c, std::string_view component);

}  // namespace hearth::pg
