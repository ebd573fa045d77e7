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

}  // namespace hearth::sql
