// copy.hpp: the catalogs of both engines, a digest that does not depend on the engine, and
// the row copy. The SQL here is engine-specific on purpose (catalogs differ); the stores'
// common dialect rules (sql.hpp) do not apply to it.
#include "core/sql/copy.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <set>

#include "core/crypto/crypto.hpp"

namespace hearth::sql {

namespace {

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::string upper(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

// Names come from the catalog; quoting keeps a name that is a keyword ("order") usable.
std::string quoted(std::string_view name) {
  std::string q = "\"";
  for (char ch : name) {
    if (ch == '"') q += '"';
    q += ch;
  }
  return q + "\"";
}

// SQLite's affinity rules (https://sqlite.org/datatype3.html §3.1), in their order.
column_class sqlite_class(const std::string& declared) {
  const std::string t = upper(declared);
  if (t.find("INT") != std::string::npos) return column_class::integer;
  if (t.find("CHAR") != std::string::npos || t.find("CLOB") != std::string::npos || t.find("TEXT") != std::string::npos)
    return column_class::text;
  if (t.find("BLOB") != std::string::npos) return column_class::blob;
  if (t.find("REAL") != std::string::npos || t.find("FLOA") != std::string::npos || t.find("DOUB") != std::string::npos)
    return column_class::real;
  return column_class::text;
}

column_class postgres_class(const std::string& data_type) {
  if (data_type == "bigint" || data_type == "integer" || data_type == "smallint" || data_type == "boolean")
    return column_class::integer;
  if (data_type == "double precision" || data_type == "real" || data_type == "numeric") return column_class::real;
  if (data_type == "bytea") return column_class::blob;
  return column_class::text;
}

result<table_info> describe_sqlite(connection& c, const std::string& table) {
  table_info t;
  t.name = table;
  auto cols = c.query("SELECT name, type, pk FROM pragma_table_info(?1) ORDER BY cid", table);
  if (!cols) return cols.error();
  if (cols->empty()) return fail("db.error", "no table " + table);
  std::vector<std::pair<std::int64_t, std::string>> pk;
  std::string single_pk_type;
  for (int i = 0; i < cols->size(); ++i) {
    t.columns.push_back({lower(cols->text(i, 0)), sqlite_class(cols->text(i, 1))});
    if (cols->int64(i, 2) > 0) {
      pk.emplace_back(cols->int64(i, 2), lower(cols->text(i, 0)));
      single_pk_type = upper(cols->text(i, 1));
    }
  }
  std::sort(pk.begin(), pk.end());
  for (auto& [n, name] : pk) t.primary_key.push_back(name);
  // Only "INTEGER PRIMARY KEY" makes the column the rowid, which numbers new rows.
  if (t.primary_key.size() == 1 && single_pk_type == "INTEGER") t.id_column = t.primary_key[0];
  auto refs = c.query("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)", table);
  if (!refs) return refs.error();
  for (int i = 0; i < refs->size(); ++i) t.references.push_back(lower(refs->text(i, 0)));
  return t;
}

result<table_info> describe_postgres(connection& c, const std::string& table) {
  table_info t;
  t.name = table;
  auto cols = c.query(
      "SELECT column_name::text, data_type::text, is_identity::text FROM information_schema.columns "
      "WHERE table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position",
      table);
  if (!cols) return cols.error();
  if (cols->empty()) return fail("db.error", "no table " + table);
  for (int i = 0; i < cols->size(); ++i) {
    t.columns.push_back({cols->text(i, 0), postgres_class(cols->text(i, 1))});
    if (cols->text(i, 2) == "YES") t.id_column = cols->text(i, 0);
  }
  auto pk = c.query(
      "SELECT k.column_name::text FROM information_schema.table_constraints tc "
      "JOIN information_schema.key_column_usage k ON k.constraint_schema = tc.constraint_schema "
      "AND k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name "
      "WHERE tc.table_schema = current_schema() AND tc.table_name = ?1 AND tc.constraint_type = 'PRIMARY KEY' "
      "ORDER BY k.ordinal_position",
      table);
  if (!pk) return pk.error();
  for (int i = 0; i < pk->size(); ++i) t.primary_key.push_back(pk->text(i, 0));
  auto refs = c.query(
      "SELECT DISTINCT u.table_name::text FROM information_schema.table_constraints tc "
      "JOIN information_schema.constraint_column_usage u ON u.constraint_schema = tc.constraint_schema "
      "AND u.constraint_name = tc.constraint_name "
      "WHERE tc.table_schema = current_schema() AND tc.table_name = ?1 AND tc.constraint_type = 'FOREIGN KEY'",
      table);
  if (!refs) return refs.error();
  for (int i = 0; i < refs->size(); ++i) t.references.push_back(refs->text(i, 0));
  return t;
}

// ORDER BY for a stable row order that both engines agree on: the primary key, or every
// column, compared bytewise (SQLite's BINARY, PostgreSQL's "C"), NULLs first on both.
std::string order_by(connection& c, const table_info& t) {
  std::vector<std::string> keys = t.primary_key;
  if (keys.empty()) {
    for (const auto& col : t.columns) keys.push_back(col.name);
    std::sort(keys.begin(), keys.end());
  }
  std::string out;
  for (const auto& k : keys) {
    if (!out.empty()) out += ", ";
    out += quoted(k);
    const column_info* col = t.column(k);
    if (col && col->cls == column_class::text) out += c.kind() == engine::postgres ? " COLLATE \"C\"" : " COLLATE BINARY";
    out += " NULLS FIRST";
  }
  return out;
}

std::string column_list(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& col : columns) {
    if (!out.empty()) out += ", ";
    out += quoted(col);
  }
  return out;
}

// Reads a table page by page in the order order_by() gives. A table keyed by one integer
// column is read by key (WHERE key > last), which costs the same for every page; any other by
// OFFSET, whose cost grows with the page number (such tables are small in Hearth).
class pages {
 public:
  pages(connection& c, const table_info& t, const std::vector<std::string>& columns) : c_(c) {
    std::string select = "SELECT " + column_list(columns) + " FROM " + quoted(t.name);
    if (t.primary_key.size() == 1) {
      const column_info* key = t.column(t.primary_key[0]);
      auto at = std::find(columns.begin(), columns.end(), t.primary_key[0]);
      if (key && key->cls == column_class::integer && at != columns.end()) key_ = static_cast<int>(at - columns.begin());
    }
    sql_ = key_ >= 0 ? select + " WHERE " + quoted(columns[key_]) + " > ?1 ORDER BY " + quoted(columns[key_]) + " LIMIT ?2"
                     : select + " ORDER BY " + order_by(c, t) + " LIMIT ?2 OFFSET ?1";
  }
  // The next page of at most `n` rows; empty at the end.
  result<rows> next(int n) {
    auto r = c_.query(sql_, key_ >= 0 ? last_ : read_, n);
    if (!r) return r.error();
    if (key_ >= 0 && !r->empty()) last_ = r->int64(r->size() - 1, key_);
    read_ += r->size();
    return r;
  }
  std::int64_t read() const { return read_; }

 private:
  connection& c_;
  std::string sql_;
  int key_ = -1;
  std::int64_t last_ = INT64_MIN, read_ = 0;
};

void append_value(std::string& out, const rows& r, int row, int col, column_class cls) {
  if (r.is_null(row, col)) {
    out += 'N';
    return;
  }
  switch (cls) {
    case column_class::integer: out += 'I' + std::to_string(r.int64(row, col)) + ';'; return;
    case column_class::real: {
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, r.real(row, col));
      out += 'R';
      out.append(buf, end);
      out += ';';
      return;
    }
    case column_class::text:
    case column_class::blob: {
      auto v = r.bytes(row, col);
      out += cls == column_class::text ? 'T' : 'B';
      out += std::to_string(v.size()) + ':';
      out.append(v.begin(), v.end());
      return;
    }
  }
}

constexpr int digest_batch = 5000;

}  // namespace

const column_info* table_info::column(std::string_view n) const {
  for (const auto& c : columns)
    if (c.name == n) return &c;
  return nullptr;
}

result<std::vector<std::string>> list_tables(connection& c) {
  auto r = c.kind() == engine::postgres
               ? c.query("SELECT table_name::text FROM information_schema.tables "
                         "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
               : c.query("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_'");
  if (!r) return r.error();
  std::vector<std::string> out;
  for (int i = 0; i < r->size(); ++i) out.push_back(lower(r->text(i, 0)));
  std::sort(out.begin(), out.end());
  return out;
}

result<table_info> describe_table(connection& c, std::string_view table) {
  return c.kind() == engine::postgres ? describe_postgres(c, std::string(table)) : describe_sqlite(c, std::string(table));
}

std::vector<const table_info*> in_dependency_order(const std::vector<table_info>& tables) {
  std::vector<const table_info*> left;
  for (const auto& t : tables) left.push_back(&t);
  std::sort(left.begin(), left.end(), [](auto* a, auto* b) { return a->name < b->name; });
  std::set<std::string> present, placed;
  for (auto* t : left) present.insert(t->name);
  std::vector<const table_info*> out;
  while (!left.empty()) {
    auto ready = std::find_if(left.begin(), left.end(), [&](const table_info* t) {
      return std::all_of(t->references.begin(), t->references.end(), [&](const std::string& r) {
        return r == t->name || !present.count(r) || placed.count(r);
      });
    });
    if (ready == left.end()) ready = left.begin();  // a cycle: the engine will say which row breaks it
    placed.insert((*ready)->name);
    out.push_back(*ready);
    left.erase(ready);
  }
  return out;
}

result<table_digest> digest_table(connection& c, const table_info& t, const std::vector<std::string>& columns) {
  std::vector<std::string> names = columns;
  std::sort(names.begin(), names.end());
  std::vector<column_class> classes;
  for (const auto& n : names) {
    const column_info* col = t.column(n);
    if (!col) return fail("db.error", t.name + " has no column " + n);
    classes.push_back(col->cls);
  }
  pages reader(c, t, names);
  table_digest d;
  // Chained per page (page size fixed here, not by the engine), so a large table is hashed
  // without being held in memory.
  std::string chain(32, '\0');
  for (;;) {
    auto r = reader.next(digest_batch);
    if (!r) return r.error();
    if (r->empty()) break;
    std::string page = chain;
    for (int i = 0; i < r->size(); ++i) {
      for (int k = 0; k < static_cast<int>(names.size()); ++k) append_value(page, *r, i, k, classes[k]);
      page += '\n';
    }
    chain = crypto::sha256(page);
    d.rows += r->size();
    if (r->size() < digest_batch) break;
  }
  d.sha256 = crypto::hex_encode(chain);
  return d;
}

result<std::int64_t> copy_rows(connection& from, const table_info& from_table, connection& to,
                               const table_info& to_table, const std::vector<std::string>& columns, int batch) {
  std::vector<column_class> classes;
  for (const auto& n : columns) {
    const column_info* col = to_table.column(n);
    if (!col || !from_table.column(n)) return fail("db.error", to_table.name + ": no column " + n + " on both sides");
    classes.push_back(col->cls);
  }
  // Several rows per INSERT: one statement per row would cost a round trip per row on
  // PostgreSQL. Bounded by a parameter count both engines take.
  const int ncols = static_cast<int>(columns.size());
  const int per_statement = std::max(1, std::min(100, 900 / std::max(1, ncols)));
  auto insert_for = [&](int n) {
    std::string sql = "INSERT INTO " + quoted(to_table.name) + "(" + column_list(columns) + ") VALUES";
    for (int row = 0; row < n; ++row) {
      sql += row ? ", (" : "(";
      for (int k = 0; k < ncols; ++k) sql += (k ? ", ?" : "?") + std::to_string(row * ncols + k + 1);
      sql += ")";
    }
    return sql;
  };
  const std::string full_insert = insert_for(per_statement);
  pages reader(from, from_table, columns);
  std::int64_t copied = 0;
  for (;;) {
    const std::int64_t offset = reader.read();
    auto r = reader.next(batch);
    if (!r) return r.error();
    if (r->empty()) break;
    auto tx = transaction::begin(to, durability::full);
    if (!tx) return tx.error();
    for (int first = 0; first < r->size(); first += per_statement) {
      const int n = std::min(per_statement, r->size() - first);
      // Values are read by the target column's class, so a SQLite row holding another type
      // than declared arrives as the type the target column takes. The storage is sized up
      // front: params hold views into it.
      std::vector<std::vector<std::uint8_t>> bytes(static_cast<std::size_t>(n * ncols));
      std::vector<value> params;
      params.reserve(bytes.size());
      for (int i = first; i < first + n; ++i) {
        for (int k = 0; k < ncols; ++k) {
          auto& slot = bytes[static_cast<std::size_t>((i - first) * ncols + k)];
          if (r->is_null(i, k)) {
            params.emplace_back(nullptr);
            continue;
          }
          switch (classes[k]) {
            case column_class::integer: params.emplace_back(r->int64(i, k)); break;
            case column_class::real: params.emplace_back(r->real(i, k)); break;
            case column_class::text:
              slot = r->bytes(i, k);
              params.emplace_back(std::string_view(reinterpret_cast<const char*>(slot.data()), slot.size()));
              break;
            case column_class::blob:
              slot = r->bytes(i, k);
              params.emplace_back(std::span<const std::uint8_t>(slot));
              break;
          }
        }
      }
      if (auto w = to.run(n == per_statement ? full_insert : insert_for(n), params); !w)
        return fail(w.error().code, to_table.name + " rows " + std::to_string(offset + first + 1) + "-" +
                                        std::to_string(offset + first + n) + ": " + w.error().message);
    }
    if (auto cm = tx->commit(); !cm) return cm.error();
    copied += r->size();
    if (r->size() < batch) break;
  }
  return copied;
}

result<std::optional<std::int64_t>> id_high_water(connection& c, const table_info& t) {
  if (!t.id_column) return std::optional<std::int64_t>();
  auto top = c.query_int("SELECT MAX(" + quoted(*t.id_column) + ") FROM " + quoted(t.name));
  if (!top) return top.error();
  std::optional<std::int64_t> hw = *top;
  std::optional<std::int64_t> counter;
  if (c.kind() == engine::postgres) {
    auto s = c.query_int("SELECT pg_sequence_last_value(pg_get_serial_sequence(?1, ?2)::regclass)", quoted(t.name),
                         *t.id_column);
    if (!s) return s.error();
    counter = *s;
  } else {
    auto has = c.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'");
    if (!has) return has.error();
    if (!has->empty()) {
      auto s = c.query_int("SELECT seq FROM sqlite_sequence WHERE lower(name) = ?1", t.name);
      if (!s) return s.error();
      counter = *s;
    }
  }
  if (counter && (!hw || *counter > *hw)) hw = counter;
  return hw;
}

result<void> set_id_high_water(connection& c, const table_info& t, std::int64_t high_water) {
  if (!t.id_column || high_water < 1) return {};
  if (c.kind() == engine::postgres) {
    auto r = c.query("SELECT setval(pg_get_serial_sequence(?1, ?2)::regclass, ?3)", quoted(t.name), *t.id_column, high_water);
    if (!r) return r.error();
    return {};
  }
  auto def = c.query("SELECT sql FROM sqlite_master WHERE type = 'table' AND lower(name) = ?1", t.name);
  if (!def) return def.error();
  if (upper(def->text(0, 0)).find("AUTOINCREMENT") == std::string::npos) return {};
  if (auto r = c.query("DELETE FROM sqlite_sequence WHERE lower(name) = ?1", t.name); !r) return r.error();
  if (auto r = c.query("INSERT INTO sqlite_sequence(name, seq) VALUES(?1, ?2)", t.name, high_water); !r) return r.error();
  return {};
}

result<void> create_from_sqlite(connection& from, connection& to, std::string_view table) {
  if (from.kind() != engine::sqlite || to.kind() != engine::postgres)
    return fail("db.error", "a table's definition is only carried from SQLite to PostgreSQL");
  auto defs = from.query(
      "SELECT sql FROM sqlite_master WHERE lower(tbl_name) = ?1 AND sql IS NOT NULL "
      "ORDER BY CASE WHEN type = 'table' THEN 0 ELSE 1 END, name",
      table);
  if (!defs) return defs.error();
  if (defs->empty()) return fail("db.error", "no table " + std::string(table));
  for (int i = 0; i < defs->size(); ++i)
    if (auto r = to.exec(postgres_ddl(defs->text(i, 0))); !r) return r.error();
  return {};
}

}  // namespace hearth::sql
