#include "core/sql/sql.hpp"

namespace hearth::sql {

result<std::unique_ptr<database>> open_sqlite(const std::string& path);
result<std::unique_ptr<database>> open_postgres(const std::string& url);
result<int> migrate_sqlite(connection& c, std::string_view component, std::span<const migration> migrations);
result<int> migrate_postgres(connection& c, std::string_view component, std::span<const migration> migrations);

result<std::unique_ptr<database>> open(const std::string& target) {
  return is_postgres_target(target) ? open_postgres(target) : open_sqlite(target);
}

result<int> migrate(connection& c, std::string_view component, std::span<const migration> migrations) {
  return c.kind() == engine::postgres ? migrate_postgres(c, component, migrations)
                                      : migrate_sqlite(c, component, migrations);
}

result<std::unique_ptr<database>> open_migrated(const std::string& target, std::string_view component,
                                                std::span<const migration> migrations) {
  auto d = open(target);
  if (!d) return d.error();
  auto c = (*d)->try_get();
  if (!c) return c.error();
  if (auto v = migrate(**c, component, migrations); !v) return v.error();
  return d;
}

}  // namespace hearth::sql
