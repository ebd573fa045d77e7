#include <chrono>

#include "core/db/db.hpp"
#include "core/log/log.hpp"

namespace hearth::db {

namespace {

constexpr std::string_view create_table =
    "CREATE TABLE IF NOT EXISTS schema_migrations("
    " component TEXT NOT NULL, version INT NOT NULL, description TEXT NOT NULL,"
    " applied_at INT NOT NULL, PRIMARY KEY(component, version))";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

result<int> schema_version(connection& c, std::string_view component) {
  if (auto r = c.exec(create_table); !r) return r.error();
  auto st = c.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?1");
  if (!st) return st.error();
  st->bind(1, component);
  auto row = st->step();
  if (!row) return row.error();
  return static_cast<int>(st->column_int64(0));
}

result<int> migrate(connection& c, std::string_view component, std::span<const migration> migrations) {
  int known = 0;
  for (const auto& m : migrations) {
    if (m.version <= known)
      return fail("db.migration", std::string(component) + ": migrations must have strictly increasing versions >= 1");
    known = m.version;
  }
  auto current = schema_version(c, component);
  if (!current) return current.error();
  if (*current > known)
    return fail("db.schema_newer", std::string(component) + ": the database is at schema version " +
                                       std::to_string(*current) + " but this program knows only up to " +
                                       std::to_string(known) + " (written by a newer Hearth?)");
  int version = *current;
  for (const auto& m : migrations) {
    if (m.version <= version) continue;
    auto tx = transaction::begin(c, durability::full);
    if (!tx) return tx.error();
    // Another process may have migrated while we waited for the write lock.
    auto now = schema_version(c, component);
    if (!now) return now.error();
    if (*now > known) return fail("db.schema_newer", std::string(component) + ": a newer schema appeared meanwhile");
    if (*now >= m.version) {
      version = *now;
      continue;
    }
    if (auto r = c.exec(m.sql); !r)
      return fail("db.migration", std::string(component) + " migration " + std::to_string(m.version) + " (" +
                                      std::string(m.description) + "): " + r.error().message);
    auto ins = c.prepare(
        "INSERT INTO schema_migrations(component, version, description, applied_at) VALUES(?1, ?2, ?3, ?4)");
    if (!ins) return ins.error();
    ins->bind_all(component, m.version, m.description, unix_now());
    if (auto r = ins->run(); !r) return r.error();
    if (auto r = tx->commit(); !r) return r.error();
    version = m.version;
    log::info("db.migrate", {{"component", component}, {"version", m.version}, {"description", m.description}});
  }
  return version;
}

}  // namespace hearth::db
