#include <ctime>

#include "core/pg/pg.hpp"

namespace hearth::pg {

namespace {

constexpr std::string_view create_table =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " component TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL, PRIMARY KEY (component, version))";

// One advisory lock key for all migrations: nodes starting together take turns.
constexpr std::int64_t migrate_lock = 0x6865617274680001;  // "hearth" + 1

result<int> current(connection& c, std::string_view component) {
  auto r = c.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = $1", component);
  if (!r) return r.error();
  return static_cast<int>(r->int64(0, 0));
}

}  // namespace

result<int> schema_version(connection& c, std::string_view component) {
  auto t = c.query("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!t) return t.error();
  if (!t->int64(0, 0)) return 0;
  return current(c, component);
}

result<int> migrate(connection& c, std::string_view component, std::span<const migration> migrations) {
  for (std::size_t i = 1; i < migrations.size(); ++i)
    if (migrations[i].version <= migrations[i - 1].version)
      return fail("db.migration", std::string(component) + ": migration versions are not strictly increasing");
  int last = migrations.empty() ? 0 : migrations.back().version;

  for (;;) {
    auto tx = transaction::begin(c);
    if (!tx) return tx.error();
    if (auto r = c.query("SELECT pg_advisory_xact_lock($1)", migrate_lock); !r) return r.error();
    if (auto r = c.exec(create_table); !r) return r.error();
    auto have = current(c, component);
    if (!have) return have.error();
    if (*have > last)
      return fail("db.schema_newer", std::string(component) + " schema is at version " + std::to_string(*have) +
                                         ", newer than this Hearth knows (" + std::to_string(last) + ")");
    const migration* next = nullptr;
    for (const auto& m : migrations)
      if (m.version > *have) {
        next = &m;
        break;
      }
    if (!next) {
      if (auto r = tx->commit(); !r) return r.error();
      return *have;
    }
    if (auto r = c.exec(next->sql); !r)
      return fail("db.migration", std::string(component) + " migration " + std::to_string(next->version) + " (" +
                                      std::string(next->description) + "): " + r.error().message);
    auto rec = c.query("INSERT INTO schema_migrations (component, version, description, applied_at) VALUES ($1, $2, $3, $4)",
                       component, next->version, next->description, static_cast<std::int64_t>(std::time(nullptr)));
    if (!rec) return rec.error();
    if (auto r = tx->commit(); !r) return r.error();
  }
}

}  // namespace hearth::pg
