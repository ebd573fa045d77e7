// The PostgreSQL driver: core/pg connections behind sql::connection, borrowed from one pool per
// target shared by every store of the process (see pool.hpp).
#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/pg/describe.hpp"
#include "core/pg/pg.hpp"
#include "core/sql/pipeline.hpp"
#include "core/sql/pool.hpp"
#include "core/sql/scope.hpp"
#include "core/sql/sql.hpp"
#include "core/sql/threaded.hpp"

namespace hearth::sql {

namespace {

// The key of the advisory lock every write transaction takes (see begin()): exclusively when
// unscoped, shared when scoped (core/sql/scope.hpp).
constexpr std::int64_t write_lock = 0x6865617274680002;  // "hearth" + 2

// pg_type OIDs the stores' columns come back as.
constexpr unsigned oid_bool = 16, oid_bytea = 17, oid_int8 = 20, oid_int2 = 21, oid_int4 = 23, oid_float4 = 700,
                   oid_float8 = 701, oid_numeric = 1700;

std::vector<pg::param> to_params(std::span<const value> params) {
  std::vector<pg::param> ps;
  ps.reserve(params.size());
  for (const auto& p : params) {
    ps.push_back(std::visit(
        [](const auto& v) -> pg::param {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) return {};
          else return pg::to_param(v);
        },
        p));
  }
  return ps;
}

// A statement's rows, read into memory with the types the stores expect.
rows read_rows(const pg::rows& r) {
  int cols = r.columns(), n = r.size();
  std::vector<rows::cell> cells;
  cells.reserve(static_cast<std::size_t>(cols) * n);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < cols; ++c) {
      if (r.is_null(i, c)) {
        cells.emplace_back(std::monostate{});
        continue;
      }
      switch (r.type_oid(c)) {
        case oid_bool:
        case oid_int2:
        case oid_int4:
        case oid_int8: cells.emplace_back(r.int64(i, c)); break;
        case oid_float4:
        case oid_float8: cells.emplace_back(r.real(i, c)); break;
        case oid_numeric: {  // SUM() of integers: whole numbers read as integers
          auto t = r.text(i, c);
          if (t.find_first_of(".eE") == std::string::npos) cells.emplace_back(r.int64(i, c));
          else cells.emplace_back(r.real(i, c));
          break;
        }
        case oid_bytea: cells.emplace_back(r.bytes(i, c)); break;
        default: cells.emplace_back(r.text(i, c)); break;
      }
    }
  return rows(cols, std::move(cells), r.affected());
}

// Runs one statement (already in $N form) on a server connection and reads its rows.
result<rows> run_on(pg::connection& c, const std::string& sql, std::span<const value> params) {
  auto r = c.query_params(sql, to_params(params));
  if (!r) return r.error();
  return read_rows(*r);
}

// The pools of this process, one per target, shared by every database opened on it.
struct pool_registry {
  std::mutex mu;
  pool_options opt;
  std::map<std::string, std::weak_ptr<pg::pool>> pools;
};
pool_registry& registry() {
  static pool_registry r;
  return r;
}

result<std::shared_ptr<pg::pool>> shared_pool(const std::string& url) {
  auto& reg = registry();
  std::lock_guard lock(reg.mu);
  if (auto it = reg.pools.find(url); it != reg.pools.end())
    if (auto p = it->second.lock()) return p;
  pg::pool::options o;
  o.max_size = reg.opt.size ? reg.opt.size : default_pool_size();
  o.wait = reg.opt.wait;
  auto p = pg::pool::open(url, o);  // connects once: fails now, with the server's reason
  if (!p) return p.error();
  auto shared = std::make_shared<pg::pool>(std::move(*p));
  reg.pools[url] = shared;
  return shared;
}

// A thread's connection to one database: it holds a pooled server connection only while a
// statement or a transaction runs, so idle threads and stores hold none.
class pg_connection final : public connection {
 public:
  explicit pg_connection(std::shared_ptr<pg::pool> p) : pool_(std::move(p)) {}
  ~pg_connection() override { rollback(); }
  engine kind() const override { return engine::postgres; }

  // A transaction may also be begun by a statement (the mail store's read snapshot, "BEGIN
  // ISOLATION LEVEL REPEATABLE READ READ ONLY"): the connection that ran it is kept until a
  // statement ends it, so every statement between runs inside it. Given back earlier, the pool
  // would close it (it is mid-transaction) and the statements would run outside any snapshot,
  // each on a new server connection.
  result<void> exec(std::string_view sql) override {
    if (lease_) {
      auto r = (*lease_)->exec(sql);
      if (statement_tx_ && !(*lease_)->in_transaction()) {
        statement_tx_ = false;
        lease_.reset();
      }
      return r;
    }
    auto l = pool_->acquire();
    if (!l) return l.error();
    auto r = (*l)->exec(sql);
    if ((*l)->in_transaction()) {
      lease_.emplace(std::move(*l));
      statement_tx_ = true;
    }
    return r;
  }

  result<rows> run(std::string_view sql, std::span<const value> params) override {
    const auto& text = translated(sql);
    if (lease_) return run_on(**lease_, text, params);
    auto l = pool_->acquire();
    if (!l) return l.error();
    if (!rider_) return run_on(**l, text, params);
    auto rider = std::move(*rider_);
    rider_.reset();
    const pg::connection::statement batch[] = {{text, to_params(params)}, {rider.sql, std::move(rider.params)}};
    auto r = (*l)->query_batch(batch);
    if (!r) return r.error();
    ridden_ = read_rows((*r)[1]);
    return read_rows((*r)[0]);
  }
  void ride(const statement& read) {
    rider_.emplace(owned_statement{translated(read.sql), to_params(read.params)});
    ridden_.reset();
  }
  std::optional<rows> take_ride() {
    rider_.reset();
    return std::exchange(ridden_, std::nullopt);
  }

  // Queued on the transaction's server connection; outside a transaction nothing would carry
  // the statement later, so it runs now.
  result<void> queue_run(std::string_view sql, std::span<const value> params) {
    if (!lease_) {
      auto r = run(sql, params);
      if (!r) return r.error();
      return {};
    }
    (*lease_)->queue(translated(sql), to_params(params));
    return {};
  }
  result<void> flush() {
    if (!lease_) return {};
    return (*lease_)->flush();
  }
  result<std::vector<rows>> query_all(std::span<const statement> statements) {
    std::vector<pg::connection::statement> batch;
    batch.reserve(statements.size());
    for (const auto& st : statements) batch.push_back({translated(st.sql), to_params(st.params)});
    std::optional<pg::pool::lease> borrowed;
    pg::connection* conn = nullptr;
    if (lease_) {
      conn = &**lease_;
    } else {
      auto l = pool_->acquire();
      if (!l) return l.error();
      borrowed.emplace(std::move(*l));
      conn = &**borrowed;
    }
    auto r = conn->query_batch(batch);
    if (!r) return r.error();
    std::vector<rows> out;
    out.reserve(r->size());
    for (auto& one : *r) out.push_back(read_rows(one));
    return out;
  }
  bool scoped_transaction() const { return tx_.has_value() && scoped_; }
  // The transaction's own statements, read and COMMIT in one round trip; tx_ is then over on
  // the server, and commit() only gives the connection back.
  result<rows> commit_with(const statement& read) {
    if (!tx_) return fail("db.error", "commit_with outside a transaction");
    auto r = (*lease_)->commit_with({translated(read.sql), to_params(read.params)});
    if (!r) return r.error();
    return read_rows(*r);
  }
  bool writing() const { return tx_.has_value(); }

  result<void> begin(durability d) override {
    auto locks = std::exchange(next_locks_, {});
    if (tx_ || statement_tx_) return fail("db.error", "a transaction is already open on this connection");
    auto l = pool_->acquire();
    if (!l) return l.error();
    // Begun as durable: a `normal` one says so in its lock statement below, set_config(...,
    // true) being SET LOCAL, so that it costs no statement of its own.
    auto t = pg::transaction::begin(**l, pg::durability::full);
    if (!t) return t.error();
    const std::string relaxed = d == durability::full ? "" : "set_config('synchronous_commit', 'off', true), ";
    // The stores are written for SQLite's BEGIN IMMEDIATE: one writer at a time, so a
    // read-then-write transaction (is there a postmaster alias? then add one) cannot race
    // another. The advisory lock gives them the same guarantee here, across nodes too: taken
    // exclusively, it orders this transaction against every other; a scoped one shares it and
    // takes its scope locks in this order (scope.hpp: the same order everywhere, so no two
    // wait for each other). They are one statement, a SELECT list that PostgreSQL evaluates
    // left to right (each statement in a pipeline costs the server a bind and an executor
    // start, which is CPU on the cores the nodes share). Queued with BEGIN, they are taken
    // before the transaction's first statement runs, in its round trip.
    scoped_ = !locks.empty();
    if (!scoped_) {
      (*l)->queue("SELECT " + relaxed + "pg_advisory_xact_lock($1)", {pg::to_param(write_lock)}, true);
    } else {
      std::string text = "SELECT " + relaxed + "pg_advisory_xact_lock_shared($1)";
      std::vector<pg::param> keys{pg::to_param(write_lock)};
      for (auto& k : locks) {
        keys.push_back(pg::to_param(k.key));
        text += k.shared ? ", pg_advisory_xact_lock_shared($" : ", pg_advisory_xact_lock($";
        text += std::to_string(keys.size()) + ")";
      }
      (*l)->queue(text, std::move(keys), true);
    }
    lease_.emplace(std::move(*l));
    tx_.emplace(std::move(*t));
    return {};
  }
  // The locks the next begin() takes (scope.hpp): ascending, each key once, exclusive if any
  // of its entries is.
  void scope_next(std::span<const scope_lock> locks) {
    next_locks_.assign(locks.begin(), locks.end());
    std::sort(next_locks_.begin(), next_locks_.end(), [](const scope_lock& a, const scope_lock& b) {
      return a.key != b.key ? a.key < b.key : !a.shared && b.shared;  // exclusive first
    });
    next_locks_.erase(std::unique(next_locks_.begin(), next_locks_.end(),
                                  [](const scope_lock& a, const scope_lock& b) { return a.key == b.key; }),
                      next_locks_.end());
  }
  result<bool> try_lock(std::int64_t key) {
    if (!tx_) return fail("db.error", "try_lock outside a transaction");
    if (!scoped_) return true;
    // A statement of its own, read before the caller's next one: under READ COMMITTED that
    // next statement's snapshot is taken after the lock, so it sees whatever the lock's last
    // holder committed.
    auto r = run("SELECT pg_try_advisory_xact_lock(?1)", std::array<value, 1>{value(key)});
    if (!r) return r.error();
    return r->int64(0, 0) != 0;
  }
  result<void> commit() override {
    if (!tx_) return fail("db.error", "no transaction to commit");
    auto r = tx_->commit();
    tx_.reset();
    lease_.reset();  // back to the pool (closed instead if the commit left it broken)
    return r;
  }
  void rollback() noexcept override {
    tx_.reset();
    if (statement_tx_ && lease_ && (*lease_)->in_transaction()) (void)(*lease_)->exec("ROLLBACK");
    statement_tx_ = false;
    lease_.reset();
  }
  bool in_transaction() const override { return tx_.has_value() || statement_tx_; }

  // Migrations run on one borrowed connection, outside any transaction of this one.
  result<int> migrate(std::string_view component, std::span<const pg::migration> m) {
    auto l = pool_->acquire();
    if (!l) return l.error();
    return pg::migrate(**l, component, m);
  }

 private:
  std::shared_ptr<pg::pool> pool_;
  std::optional<pg::pool::lease> lease_;  // held from begin() to commit()/rollback()
  bool statement_tx_ = false;             // lease_ held for a transaction begun by exec()
  std::optional<pg::transaction> tx_;     // on *lease_; destroyed before it
  bool scoped_ = false;                   // tx_ holds the write lock shared, and scope keys
  std::vector<scope_lock> next_locks_;    // for the next begin() only
  struct owned_statement {
    std::string sql;  // translated
    std::vector<pg::param> params;
  };
  std::optional<owned_statement> rider_;  // ride(): goes with the next run() outside a transaction
  std::optional<rows> ridden_;            // its rows, once it went
  const std::string& translated(std::string_view sql) {
    auto it = translated_.find(std::string(sql));
    if (it == translated_.end()) it = translated_.emplace(std::string(sql), postgres_placeholders(sql)).first;
    return it->second;
  }

  std::unordered_map<std::string, std::string> translated_;
};

class pg_database final : public detail::threaded_database {
 public:
  pg_database(std::string url, std::shared_ptr<pg::pool> p) : url_(std::move(url)), pool_(std::move(p)) {}
  engine kind() const override { return engine::postgres; }
  // The URL may carry a password (user:password@, ?password=, password=): only host, port
  // and database are printed.
  std::string describe() const override { return "PostgreSQL " + pg::describe(url_); }

 protected:
  result<std::unique_ptr<connection>> open_connection() override {
    return std::unique_ptr<connection>(std::make_unique<pg_connection>(pool_));
  }

 private:
  std::string url_;
  std::shared_ptr<pg::pool> pool_;
};

}  // namespace

result<std::unique_ptr<database>> open_postgres(const std::string& url) {
  auto p = shared_pool(url);
  if (!p) return p.error();
  return std::unique_ptr<database>(std::make_unique<pg_database>(url, std::move(*p)));
}

std::size_t default_pool_size(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  return 2 * static_cast<std::size_t>(threads) + 4;
}

void configure_pool(pool_options o) {
  auto& reg = registry();
  std::lock_guard lock(reg.mu);
  reg.opt = o;
}

std::size_t pool_open_count(const std::string& target) {
  auto& reg = registry();
  std::lock_guard lock(reg.mu);
  auto it = reg.pools.find(target);
  if (it == reg.pools.end()) return 0;
  auto p = it->second.lock();
  return p ? p->open_count() : 0;
}

result<void> queue_run(connection& c, std::string_view sql, std::span<const value> params) {
  if (auto* p = dynamic_cast<pg_connection*>(&c)) return p->queue_run(sql, params);
  // SQLite answers in the caller's thread: there is no round trip to save.
  auto r = c.run(sql, params);
  if (!r) return r.error();
  return {};
}

std::int64_t scope_key(std::string_view kind, std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a, 64 bits
  auto mix = [&](std::string_view s) {
    for (unsigned char ch : s) {
      h ^= ch;
      h *= 0x100000001b3ull;
    }
  };
  mix(kind);
  mix(std::string_view("\0", 1));  // ("ab", "c") and ("a", "bc") differ
  mix(name);
  auto key = static_cast<std::int64_t>(h);
  // Never the write lock's own key: a scoped transaction holding it shared could not also
  // take it exclusively.
  return key == write_lock ? key ^ 1 : key;
}

result<transaction> begin_scoped(connection& c, durability d, std::span<const scope_lock> locks) {
  if (auto* p = dynamic_cast<pg_connection*>(&c)) p->scope_next(locks);
  return transaction::begin(c, d);
}

result<bool> try_lock(connection& c, std::int64_t key) {
  if (auto* p = dynamic_cast<pg_connection*>(&c)) return p->try_lock(key);
  return true;  // SQLite: the transaction holds the file's write lock
}

result<void> flush(connection& c) {
  if (auto* p = dynamic_cast<pg_connection*>(&c)) return p->flush();
  return {};
}

result<std::vector<rows>> query_all(connection& c, std::span<const statement> statements) {
  if (auto* p = dynamic_cast<pg_connection*>(&c)) return p->query_all(statements);
  std::vector<rows> out;
  out.reserve(statements.size());
  for (const auto& st : statements) {
    auto r = c.run(st.sql, st.params);
    if (!r) return r.error();
    out.push_back(std::move(*r));
  }
  return out;
}

result<rows> commit_with(connection& c, transaction& tx, const statement& read) {
  result<rows> r = rows();
  if (auto* p = dynamic_cast<pg_connection*>(&c)) r = p->commit_with(read);
  else r = c.run(read.sql, read.params);
  if (!r) return r.error();
  if (auto done = tx.commit(); !done) return done.error();
  return r;
}

bool ride(connection& c, const statement& read) {
  auto* p = dynamic_cast<pg_connection*>(&c);
  if (!p) return false;
  p->ride(read);
  return true;
}

std::optional<rows> take_ride(connection& c) {
  if (auto* p = dynamic_cast<pg_connection*>(&c)) return p->take_ride();
  return std::nullopt;
}

result<bool> queue_notify(connection& c, std::string_view channel, std::string_view payload) {
  auto* p = dynamic_cast<pg_connection*>(&c);
  if (!p || !p->writing()) return false;
  const value params[] = {value(channel), value(payload)};
  if (auto r = p->queue_run("SELECT pg_notify(?1, ?2)", params); !r) return r.error();
  return true;
}

std::optional<statement> try_lock_statement(connection& c, std::int64_t key) {
  auto* p = dynamic_cast<pg_connection*>(&c);
  if (!p || !p->scoped_transaction()) return std::nullopt;
  return statement{"SELECT pg_try_advisory_xact_lock(?1)", {value(key)}};
}

result<int> migrate_postgres(connection& c, std::string_view component, std::span<const migration> migrations) {
  auto* p = dynamic_cast<pg_connection*>(&c);
  if (!p) return fail("db.migration", "not a PostgreSQL connection");
  std::vector<std::string> ddl;
  ddl.reserve(migrations.size());
  std::vector<pg::migration> m;
  m.reserve(migrations.size());
  for (const auto& x : migrations) ddl.push_back(postgres_ddl(x.sql));
  for (std::size_t i = 0; i < migrations.size(); ++i)
    m.push_back({migrations[i].version, migrations[i].description, ddl[i]});
  return p->migrate(component, m);
}

}  // namespace hearth::sql
