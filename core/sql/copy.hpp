// Moving a database between engines (`hearth db copy`): what tables a database holds, their
// rows copied with their ids, and a digest of a table that comes out the same on SQLite and
// PostgreSQL for the same rows, so that a copy can be verified table by table.
//
// Nothing here knows a store's tables: they are read from each engine's catalog, so a table a
// store adds is copied without a change here.
//
// Errors: "db.error" (and the codes of the statements run). Calls block; a connection belongs
// to the calling thread (see sql.hpp).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/sql/sql.hpp"

namespace hearth::sql {

// How a column's values are read, written and hashed: by the column's declared type, not by
// what one row happens to hold, since SQLite lets a row hold another type than declared.
enum class column_class { integer, real, text, blob };

struct column_info {
  std::string name;  // lower case
  column_class cls = column_class::text;
};

struct table_info {
  std::string name;  // lower case
  std::vector<column_info> columns;        // in the table's order
  std::vector<std::string> primary_key;    // in key order; empty when the table has none
  std::vector<std::string> references;     // tables its foreign keys point at
  std::optional<std::string> id_column;    // the integer key new rows number themselves by
  const column_info* column(std::string_view name) const;
};

// The user tables of the database the connection is on (SQLite: the file, without sqlite_*;
// PostgreSQL: the current schema), sorted by name.
result<std::vector<std::string>> list_tables(connection& c);
result<table_info> describe_table(connection& c, std::string_view table);

// Orders tables so that each comes after the tables its foreign keys point at (ties by name).
std::vector<const table_info*> in_dependency_order(const std::vector<table_info>& tables);

struct table_digest {
  std::int64_t rows = 0;
  std::string sha256;  // hex
};

// Rows in primary key order (every column when there is none), the columns named in `columns`
// taken in name order, each value encoded by its column's class: NULL, a decimal integer, the
// shortest text of a double, or length-prefixed bytes. The same rows give the same digest on
// both engines.
result<table_digest> digest_table(connection& c, const table_info& t, const std::vector<std::string>& columns);

// Copies every row of `from_table` into `to_table`, the columns `columns` (which both have),
// ids included, `batch` rows per transaction committed with full durability. Returns the rows
// copied.
result<std::int64_t> copy_rows(connection& from, const table_info& from_table, connection& to,
                               const table_info& to_table, const std::vector<std::string>& columns, int batch = 2000);

// The highest id the table has handed out (PostgreSQL: its identity sequence; SQLite: the
// AUTOINCREMENT counter), or its largest id; nullopt without an id column or rows.
result<std::optional<std::int64_t>> id_high_water(connection& c, const table_info& t);
// Makes the table number new rows after `high_water` (PostgreSQL: setval on its identity
// sequence; SQLite: the AUTOINCREMENT counter, when the table has one; a plain rowid table
// continues after its largest id by itself).
result<void> set_id_high_water(connection& c, const table_info& t, std::int64_t high_water);

// SQLite to PostgreSQL only: creates `table` and its indexes on `to` from the SQLite source's
// own definition (postgres_ddl), for a table that no store created on the target.
result<void> create_from_sqlite(connection& from, connection& to, std::string_view table);

}  // namespace hearth::sql
