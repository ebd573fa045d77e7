// The SQLite driver: core/db's per-thread connections behind sql::connection.
#include <sqlite3.h>


#include "core/db/db.hpp"
#include "core/db/write_guard.hpp"
#include "core/sql/snapshot.hpp"
#include "core/sql/sql.hpp"
#include "core/sql/threaded.hpp"

namespace hearth::sql {

namespace {

class sqlite_connection final : public connection {
 public:
  explicit sqlite_connection(db::connection& c) : c_(c) {}
  engine kind() const override { return engine::sqlite; }

  // Whether every statement in `sql` only reads (SQLite's own judgement: SELECT, a deferred
  // BEGIN and COMMIT do; BEGIN IMMEDIATE, DELETE and DDL do not). Unparsable counts as a write.
  bool only_reads(std::string_view sql) const {
    const std::string text(sql);
    const char* p = text.c_str();
    const char* end = p + text.size();
    while (p < end) {
      sqlite3_stmt* st = nullptr;
      const char* tail = nullptr;
      if (sqlite3_prepare_v2(c_.native_handle(), p, static_cast<int>(end - p), &st, &tail) != SQLITE_OK) return false;
      const bool ro = !st || sqlite3_stmt_readonly(st);  // no statement: only spaces or a comment
      sqlite3_finalize(st);
      if (!ro) return false;
      if (!tail || tail <= p) break;
      p = tail;
    }
    return true;
  }

  // Inside a db::no_write_scope a write through exec is refused at once, as a write statement
  // or transaction through core/db is; a read-only one (the mail store's read transactions:
  // a deferred BEGIN and its COMMIT) runs.
  result<void> exec(std::string_view sql) override {
    if (snapshot_ && !only_reads(sql)) end_snapshot();
    if (db::detail::writes_refused() && !only_reads(sql) && !db::detail::may_write())
      return fail("db.would_write", "write refused: this thread runs reads only");
    return c_.exec(sql);
  }

  result<rows> run(std::string_view sql, std::span<const value> params) override {
    auto st = c_.prepare(sql);
    if (!st) return st.error();
    int i = 0;
    for (const auto& p : params) {
      ++i;
      std::visit([&](const auto& v) { st->bind(i, v); }, p);
    }
    sqlite3_stmt* raw = st->native_handle();
    if (snapshot_ && !sqlite3_stmt_readonly(raw)) end_snapshot();
    int cols = sqlite3_column_count(raw);
    std::vector<rows::cell> cells;
    for (;;) {
      auto more = st->step();
      if (!more) return more.error();
      if (!*more) break;
      for (int c = 0; c < cols; ++c) {
        switch (sqlite3_column_type(raw, c)) {
          case SQLITE_INTEGER: cells.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(raw, c))); break;
          case SQLITE_FLOAT: cells.emplace_back(sqlite3_column_double(raw, c)); break;
          case SQLITE_TEXT: cells.emplace_back(st->column_text(c)); break;
          case SQLITE_BLOB: cells.emplace_back(st->column_blob(c)); break;
          default: cells.emplace_back(std::monostate{}); break;
        }
      }
    }
    std::int64_t affected = sqlite3_stmt_readonly(raw) ? 0 : c_.changes();
    return rows(cols, std::move(cells), affected);
  }

  result<void> begin(durability d) override {
    if (tx_) return fail("db.error", "a transaction is already open on this connection");
    end_snapshot();
    auto t = db::transaction::begin(c_, d == durability::full ? db::durability::full : db::durability::normal);
    if (!t) return t.error();
    tx_.emplace(std::move(*t));
    return {};
  }
  result<void> commit() override {
    if (!tx_) return fail("db.error", "no transaction to commit");
    auto r = tx_->commit();
    tx_.reset();
    return r;
  }
  void rollback() noexcept override { tx_.reset(); }
  bool in_transaction() const override { return c_.in_transaction(); }
  db::connection& raw() { return c_; }

  // read_snapshot (snapshot.hpp): a deferred BEGIN takes no lock; the first read takes the
  // shared lock and the WAL read mark, which the COMMIT gives back. Both statements only read,
  // so they run inside a no_write_scope too. False when it could not begin (nested, an error).
  bool begin_snapshot() noexcept {
    if (snapshot_ || tx_ || c_.in_transaction()) return false;
    if (!step_once("BEGIN")) return false;
    snapshot_ = true;
    return true;
  }
  void end_snapshot() noexcept {
    if (!snapshot_) return;
    snapshot_ = false;
    // SQLite may have rolled back already after an I/O error; then there is nothing to end.
    if (c_.in_transaction() && !step_once("COMMIT")) (void)c_.exec("ROLLBACK");
  }
  bool in_snapshot() const noexcept { return snapshot_; }

 private:
  // Through the statement cache: sqlite3_exec would parse the text on every call.
  bool step_once(std::string_view sql) noexcept {
    auto st = c_.prepare(sql);
    return st && st->run().has_value();
  }

  db::connection& c_;
  std::optional<db::transaction> tx_;
  bool snapshot_ = false;  // a read transaction begun by begin_snapshot is open
};

class sqlite_database final : public detail::threaded_database {
 public:
  explicit sqlite_database(db::database d) : db_(std::move(d)) {}
  engine kind() const override { return engine::sqlite; }
  std::string describe() const override { return db_.path().string(); }

 protected:
  result<std::unique_ptr<connection>> open_connection() override {
    // core/db keeps one connection per thread itself; the adapter only wraps it.
    auto c = db_.try_get();
    if (!c) return c.error();
    return std::unique_ptr<connection>(std::make_unique<sqlite_connection>(**c));
  }

 private:
  db::database db_;
};

}  // namespace

result<std::unique_ptr<database>> open_sqlite(const std::string& path) {
  auto d = db::database::open(path);
  if (!d) return d.error();
  return std::unique_ptr<database>(std::make_unique<sqlite_database>(std::move(*d)));
}

read_snapshot::read_snapshot(connection& c) noexcept {
  auto* s = dynamic_cast<sqlite_connection*>(&c);
  if (s && s->begin_snapshot()) conn_ = &c;
}

read_snapshot::~read_snapshot() {
  if (conn_) static_cast<sqlite_connection*>(conn_)->end_snapshot();
}

bool read_snapshot::active() const noexcept {
  return conn_ && static_cast<sqlite_connection*>(conn_)->in_snapshot();
}

result<int> migrate_sqlite(connection& c, std::string_view component, std::span<const migration> migrations) {
  auto* s = dynamic_cast<sqlite_connection*>(&c);
  if (!s) return fail("db.migration", "not a SQLite connection");
  std::vector<db::migration> m;
  m.reserve(migrations.size());
  for (const auto& x : migrations) m.push_back({x.version, x.description, x.sql});
  return db::migrate(s->raw(), component, m);
}

}  // namespace hearth::sql
