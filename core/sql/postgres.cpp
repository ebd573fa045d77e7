// The PostgreSQL driver: core/pg connections behind sql::connection, one per thread.
#include <unordered_map>

#include "core/pg/describe.hpp"
#include "core/pg/pg.hpp"
#include "core/sql/sql.hpp"
#include "core/sql/threaded.hpp"

namespace hearth::sql {

namespace {

// pg_type OIDs the stores' columns come back as.
// The key of the advisory lock write transactions take (see begin()).
constexpr std::int64_t write_lock = 0x6865617274680002;  // "hearth" + 2

constexpr unsigned oid_bool = 16, oid_bytea = 17, oid_int8 = 20, oid_int2 = 21, oid_int4 = 23, oid_float4 = 700,
                   oid_float8 = 701, oid_numeric = 1700;

class pg_connection final : public connection {
 public:
  explicit pg_connection(pg::connection c) : c_(std::move(c)) {}
  engine kind() const override { return engine::postgres; }

  result<void> exec(std::string_view sql) override { return c_.exec(sql); }

  result<rows> run(std::string_view sql, std::span<const value> params) override {
    auto it = translated_.find(std::string(sql));
    if (it == translated_.end()) it = translated_.emplace(std::string(sql), postgres_placeholders(sql)).first;
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
    auto r = c_.query_params(it->second, ps);
    if (!r) return r.error();
    int cols = r->columns(), n = r->size();
    std::vector<rows::cell> cells;
    cells.reserve(static_cast<std::size_t>(cols) * n);
    for (int i = 0; i < n; ++i)
      for (int c = 0; c < cols; ++c) {
        if (r->is_null(i, c)) {
          cells.emplace_back(std::monostate{});
          continue;
        }
        switch (r->type_oid(c)) {
          case oid_bool:
          case oid_int2:
          case oid_int4:
          case oid_int8: cells.emplace_back(r->int64(i, c)); break;
          case oid_float4:
          case oid_float8: cells.emplace_back(r->real(i, c)); break;
          case oid_numeric: {  // SUM() of integers: whole numbers read as integers
            auto t = r->text(i, c);
            if (t.find_first_of(".eE") == std::string::npos) cells.emplace_back(r->int64(i, c));
            else cells.emplace_back(r->real(i, c));
            break;
          }
          case oid_bytea: cells.emplace_back(r->bytes(i, c)); break;
          default: cells.emplace_back(r->text(i, c)); break;
        }
      }
    return rows(cols, std::move(cells), r->affected());
  }

  result<void> begin(durability d) override {
    if (tx_) return fail("db.error", "a transaction is already open on this connection");
    auto t = pg::transaction::begin(c_, d == durability::full ? pg::durability::full : pg::durability::normal);
    if (!t) return t.error();
    // The stores are written for SQLite's BEGIN IMMEDIATE: one writer at a time, so a
    // read-then-write transaction (is there a postmaster alias? then add one) cannot race
    // another. One advisory lock gives them the same guarantee here, across nodes too.
    if (auto r = c_.query("SELECT pg_advisory_xact_lock($1)", write_lock); !r) return r.error();
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
  pg::connection& raw() { return c_; }

 private:
  pg::connection c_;
  std::optional<pg::transaction> tx_;
  std::unordered_map<std::string, std::string> translated_;
};

class pg_database final : public detail::threaded_database {
 public:
  explicit pg_database(std::string url) : url_(std::move(url)) {}
  engine kind() const override { return engine::postgres; }
  // The URL may carry a password (user:password@, ?password=, password=): only host, port
  // and database are printed.
  std::string describe() const override { return "PostgreSQL " + pg::describe(url_); }

 protected:
  result<std::unique_ptr<connection>> open_connection() override {
    auto c = pg::connection::open(url_);
    if (!c) return c.error();
    return std::unique_ptr<connection>(std::make_unique<pg_connection>(std::move(*c)));
  }

 private:
  std::string url_;
};

}  // namespace

result<std::unique_ptr<database>> open_postgres(const std::string& url) {
  auto probe = pg::connection::open(url);  // fail now, with the server's reason, not on first use
  if (!probe) return probe.error();
  return std::unique_ptr<database>(std::make_unique<pg_database>(url));
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
  return pg::migrate(p->raw(), component, m);
}

}  // namespace hearth::sql
