// `hearth db`: the instance's database as a whole. `db copy` moves a stopped instance to
// PostgreSQL, or back to SQLite files (db_copy.hpp does the copy).
#include <cstdio>
#include <set>
#include <system_error>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "app/db_copy.hpp"
#include "app/db_stores.hpp"
#include "core/sql/sql.hpp"
#include "core/util/dir_lock.hpp"

namespace hearth::app {

namespace {

constexpr const char* copy_usage =
    "usage: hearth [--config FILE] db copy --to TARGET [--from SOURCE]\n\n"
    "Copies a stopped instance's database into an empty one on the other engine, verifies\n"
    "every table's row count and checksum, and prints them.\n\n"
    "  --to TARGET     a PostgreSQL URL (postgres://USER@HOST/DB, or libpq \"host=... dbname=...\"),\n"
    "                  or a new data directory (SQLite files hearth.db, xmpp.db, ... made there)\n"
    "  --from SOURCE   default: the config's database ([database] url, or else the SQLite files of\n"
    "                  its data directory); or a PostgreSQL URL, or a data directory\n\n"
    "The instance must be stopped (the data directory's lock is taken) and the target empty.\n"
    "Blobs stay where they are, in the data directory's blobs/ folder.\n";

// The files the stores keep in a data directory (db_stores.hpp), in name order.
std::set<std::string> sqlite_files() {
  std::set<std::string> files;
  for (const auto& s : store_schemas()) files.insert(s.sqlite_file);
  return files;
}

// What the password of a URL must not reach: the terminal's scrollback and logs.
std::string without_password(const std::string& url) {
  auto scheme = url.find("://");
  auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos) {
    auto pw = url.find("password=");
    return pw == std::string::npos ? url : url.substr(0, pw) + "password=...";
  }
  auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + ":...@" + url.substr(at + 1);
}

db_side side_of(const std::string& where, bool must_exist) {
  db_side s;
  if (sql::is_postgres_target(where)) {
    s.postgres = true;
    s.parts.push_back({without_password(where), where, ""});
    return s;
  }
  std::filesystem::path p(where);
  // A hearth.db path names its data directory.
  s.dir = p.filename() == "hearth.db" ? p.parent_path() : p;
  if (s.dir.empty()) s.dir = ".";
  for (const auto& f : sqlite_files())
    if (!must_exist || std::filesystem::exists(s.dir / f)) s.parts.push_back({f, (s.dir / f).string(), f});
  return s;
}

int db_copy(const globals& g, const args& a) {
  auto p = parse_args(a, {"--to", "--from"});
  if (p.help) {
    std::fputs(copy_usage, stdout);
    return 0;
  }
  if (!p.error.empty()) return usage_error(p.error, copy_usage);
  if (!p.positional.empty()) return usage_error("unexpected argument " + p.positional.front(), copy_usage);
  auto to_arg = p.option("--to");
  if (!to_arg || to_arg->empty()) return usage_error("--to TARGET is required", copy_usage);
  std::string from_arg;
  std::filesystem::path node_dir;  // a node's data directory whose lock says whether it runs
  if (auto f = p.option("--from")) {
    from_arg = *f;
  } else {
    auto cfg = load_config(g);
    if (!cfg) return 2;
    // The instance's own database: [database] url when it is set (copying PostgreSQL back to
    // SQLite), the SQLite files of the data directory otherwise.
    from_arg = on_postgres(*cfg) ? cfg->database_url : cfg->data_dir.string();
    if (on_postgres(*cfg)) node_dir = cfg->data_dir;
  }
  db_side from = side_of(from_arg, true);
  db_side to = side_of(*to_arg, false);
  if (from.postgres == to.postgres)
    return fail_with(2, "db copy goes from SQLite to PostgreSQL or back: both sides are " +
                            std::string(from.postgres ? "PostgreSQL" : "SQLite"));
  if (!from.postgres && from.parts.empty())
    return fail_with(1, "no database in " + from.dir.string() + " (no hearth.db): is that the data directory?");
  // A running server would change rows behind the copy: its data directory's lock says so.
  std::vector<util::dir_lock> locks;
  for (const db_side* s : {&from, &to}) {
    if (s->postgres) continue;
    std::error_code ec;
    std::filesystem::create_directories(s->dir, ec);
    auto l = util::dir_lock::acquire(s->dir);
    if (!l) return fail_with(1, l.error().message);
    locks.push_back(std::move(*l));
  }
  // Copying from the configured PostgreSQL: at least this node must be stopped (the others'
  // locks are on their own machines).
  if (!node_dir.empty() && std::filesystem::exists(node_dir)) {
    auto l = util::dir_lock::acquire(node_dir);
    if (!l) return fail_with(1, l.error().message);
    locks.push_back(std::move(*l));
  }
  // Stores that keep files beside their tables (the queue's spool folder) make them here.
  const std::filesystem::path files_dir = to.postgres ? from.dir : to.dir;
  return copy_database(from, to, files_dir);
}

struct subcommand {
  const char* name;
  int (*run)(const globals&, const args&);
  const char* summary;
};

const subcommand subcommands[] = {
    {"copy", db_copy, "--to TARGET [--from SOURCE]: copy a stopped instance to PostgreSQL, or back to SQLite"},
};

void db_usage(FILE* out) {
  std::fprintf(out, "usage: hearth [--config FILE] db COMMAND [ARGS...]\n\ncommands:\n");
  for (const auto& c : subcommands) std::fprintf(out, "  %-6s %s\n", c.name, c.summary);
}

}  // namespace

int cmd_db(const globals& g, const args& a) {
  if (a.empty() || a[0] == "--help" || a[0] == "-h") {
    db_usage(a.empty() ? stderr : stdout);
    return a.empty() ? 2 : 0;
  }
  for (const auto& c : subcommands)
    if (a[0] == c.name) return c.run(g, args(a.begin() + 1, a.end()));
  db_usage(stderr);
  return fail_with(2, "unknown db command " + a[0]);
}

}  // namespace hearth::app
