#include "app/db_copy.hpp"

#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "app/db_stores.hpp"
#include "core/sql/copy.hpp"
#include "core/sql/sql.hpp"

namespace hearth::app {

namespace {

// Migration bookkeeping: every database has its own rows, written by the stores' open()s.
constexpr const char* bookkeeping = "schema_migrations";

struct opened {
  db_part part;
  std::unique_ptr<sql::database> db;
  sql::connection& c() { return db->get(); }
};

struct located {
  opened* where = nullptr;
  sql::table_info info;
};

int fail_copy(const std::string& message) {
  std::fprintf(stderr, "hearth: db copy: %s\n", message.c_str());
  return 1;
}

// Opens every part; on failure prints why and returns false.
bool open_all(const db_side& side, std::vector<opened>& out) {
  for (const auto& p : side.parts) {
    auto d = sql::open(p.target);
    if (!d) return fail_copy(p.label + ": " + d.error().message), false;
    auto c = (*d)->try_get();
    if (!c) return fail_copy(p.label + ": " + c.error().message), false;
    out.push_back({p, std::move(*d)});
  }
  return true;
}

// Every table of every part, but the bookkeeping; a table found twice is an error.
bool catalog(std::vector<opened>& parts, std::map<std::string, located>& out) {
  for (auto& p : parts) {
    auto names = sql::list_tables(p.c());
    if (!names) return fail_copy(p.part.label + ": " + names.error().message), false;
    for (const auto& n : *names) {
      if (n == bookkeeping) continue;
      auto info = sql::describe_table(p.c(), n);
      if (!info) return fail_copy(p.part.label + ": " + info.error().message), false;
      if (out.count(n))
        return fail_copy("table " + n + " is in both " + out[n].where->part.label + " and " + p.part.label), false;
      out[n] = {&p, std::move(*info)};
    }
  }
  return true;
}

// Source rows of the bookkeeping the target does not have yet (a component whose tables were
// carried from the source's definition), into the target's first part.
result<int> carry_bookkeeping(std::vector<opened>& from, std::vector<opened>& to) {
  std::set<std::pair<std::string, std::int64_t>> have;
  for (auto& p : to) {
    auto r = p.c().query("SELECT component, version FROM schema_migrations");
    if (!r) continue;  // a part without bookkeeping
    for (int i = 0; i < r->size(); ++i) have.insert({r->text(i, 0), r->int64(i, 1)});
  }
  int carried = 0;
  for (auto& p : from) {
    auto r = p.c().query("SELECT component, version, description, applied_at FROM schema_migrations");
    if (!r) continue;
    for (int i = 0; i < r->size(); ++i) {
      if (!have.insert({r->text(i, 0), r->int64(i, 1)}).second) continue;
      auto w = to.front().c().query(
          "INSERT INTO schema_migrations(component, version, description, applied_at) VALUES(?1, ?2, ?3, ?4)",
          r->text(i, 0), r->int64(i, 1), r->text(i, 2), r->int64(i, 3));
      if (!w) return w.error();
      ++carried;
    }
  }
  return carried;
}

}  // namespace

int copy_database(const db_side& from, const db_side& to, const std::filesystem::path& files_dir) {
  // 1. The target must be empty: a copy into a database in use would mix two instances.
  {
    std::vector<opened> probe;
    if (!open_all(to, probe)) return 1;
    for (auto& p : probe) {
      auto t = sql::list_tables(p.c());
      if (!t) return fail_copy(p.part.label + ": " + t.error().message);
      if (!t->empty())
        return fail_copy("the target " + p.part.label + " is not empty (" + std::to_string(t->size()) +
                         " tables, e.g. " + t->front() + "): copy into a new, empty database");
    }
  }
  // 2. Its schema, from the stores' own migrations.
  std::printf("Creating the schema on %s\n", to.postgres ? to.parts.front().label.c_str() : to.dir.c_str());
  for (const auto& s : store_schemas()) {
    const std::string target = to.postgres ? to.parts.front().target : (to.dir / s.sqlite_file).string();
    if (auto r = s.open(target, files_dir); !r) return fail_copy(std::string(s.name) + ": " + r.error().message);
  }
  std::vector<opened> src, dst;
  if (!open_all(from, src)) return 1;
  if (!open_all(to, dst)) return 1;
  std::map<std::string, located> source, target;
  if (!catalog(src, source) || !catalog(dst, target)) return 1;

  // 3. Match the tables; one no store made is carried from SQLite's definition, or refused.
  std::vector<std::string> skipped;
  for (auto& [name, s] : source) {
    if (target.count(name)) continue;
    const bool from_sqlite = !from.postgres;
    if (from_sqlite && to.postgres) {
      if (auto r = sql::create_from_sqlite(s.where->c(), dst.front().c(), name); !r)
        return fail_copy("table " + name + ": " + r.error().message);
      auto info = sql::describe_table(dst.front().c(), name);
      if (!info) return fail_copy(info.error().message);
      target[name] = {&dst.front(), std::move(*info)};
      std::printf("  %-12s no store made it: created from the source's definition\n", name.c_str());
      continue;
    }
    auto n = s.where->c().query_int("SELECT count(*) FROM \"" + name + "\"");
    if (n && n->value_or(0) == 0) {
      skipped.push_back(name);
      continue;
    }
    return fail_copy("table " + name + " has rows but no store makes it on the target: add its store to app/db_stores.cpp");
  }
  std::vector<sql::table_info> order_in;
  for (auto& [name, t] : target)
    if (source.count(name)) order_in.push_back(t.info);

  // 4. The rows, parents before children, then each table's id counter. Some migrations seed
  // a row (the source has it too, maybe changed since): the target's rows go first, children
  // before parents.
  const auto order = sql::in_dependency_order(order_in);
  for (auto it = order.rbegin(); it != order.rend(); ++it)
    if (auto r = target[(*it)->name].where->c().exec("DELETE FROM \"" + (*it)->name + "\""); !r)
      return fail_copy("table " + (*it)->name + ": " + r.error().message);
  std::vector<std::string> copied;
  for (const sql::table_info* t : order) {
    auto& s = source[t->name];
    auto& d = target[t->name];
    std::vector<std::string> cols;
    for (const auto& c : s.info.columns) {
      if (!d.info.column(c.name)) return fail_copy("table " + t->name + ": the target has no column " + c.name);
      cols.push_back(c.name);
    }
    auto n = sql::copy_rows(s.where->c(), s.info, d.where->c(), d.info, cols);
    if (!n) return fail_copy("table " + t->name + ": " + n.error().message);
    auto hw = sql::id_high_water(s.where->c(), s.info);
    if (!hw) return fail_copy("table " + t->name + ": " + hw.error().message);
    if (*hw)
      if (auto r = sql::set_id_high_water(d.where->c(), d.info, **hw); !r)
        return fail_copy("table " + t->name + ": " + r.error().message);
    copied.push_back(t->name);
  }
  auto carried = carry_bookkeeping(src, dst);
  if (!carried) return fail_copy("schema_migrations: " + carried.error().message);

  // 5. Verify: the same rows on both sides, table by table.
  std::printf("\n%-28s %12s %12s  %-16s  %s\n", "TABLE", "SOURCE ROWS", "TARGET ROWS", "SHA-256", "CHECK");
  int bad = 0;
  std::int64_t total = 0;
  for (const auto& name : copied) {
    auto& s = source[name];
    auto& d = target[name];
    std::vector<std::string> cols;
    for (const auto& c : s.info.columns) cols.push_back(c.name);
    auto a = sql::digest_table(s.where->c(), s.info, cols);
    auto b = sql::digest_table(d.where->c(), d.info, cols);
    if (!a || !b) return fail_copy("table " + name + ": " + (a ? b.error() : a.error()).message);
    const bool same = a->rows == b->rows && a->sha256 == b->sha256;
    if (!same) ++bad;
    total += a->rows;
    std::printf("%-28s %12lld %12lld  %-16s  %s\n", name.c_str(), static_cast<long long>(a->rows),
                static_cast<long long>(b->rows), a->sha256.substr(0, 16).c_str(), same ? "same" : "DIFFERENT");
  }
  std::printf("\n%zu tables, %lld rows copied", copied.size(), static_cast<long long>(total));
  if (*carried) std::printf("; %d migration records carried", *carried);
  if (!skipped.empty()) std::printf("; %zu empty tables no store uses skipped", skipped.size());
  std::printf(".\n");
  if (bad) return fail_copy(std::to_string(bad) + " tables differ after the copy: do not use the target");
  std::printf(
      "Blobs (message bodies, attachments, uploads) are files, not rows: they stay in the data\n"
      "directory's blobs/ folder%s.\n",
      to.postgres ? "; give every node that folder (see [database] in the README)"
                  : "; copy that folder (and tls/, auth.secret) into the new data directory");
  return 0;
}

}  // namespace hearth::app
