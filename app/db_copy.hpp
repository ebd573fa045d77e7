// `hearth db copy`: one stopped instance's database into an empty one on another engine
// (SQLite to PostgreSQL, or back). The caller (cmd_db.cpp) resolves the arguments and holds
// the data directories' locks; this does the work and prints what it did.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace hearth::app {

// One database of an instance: a PostgreSQL URL, or one SQLite file of a data directory.
struct db_part {
  std::string label;   // "hearth.db", or the URL without its password
  std::string target;  // what sql::open takes
  std::string file;    // SQLite: the file's name in the data directory; "" for PostgreSQL
};

struct db_side {
  bool postgres = false;
  std::filesystem::path dir;  // SQLite: the data directory
  std::vector<db_part> parts;
};

// Creates the target's schema by opening every store on it (db_stores.hpp), copies every
// table's rows in foreign-key order with their ids, carries the id counters, then compares
// each table's row count and digest on both sides and prints them. `files_dir`: where stores
// that keep files beside their tables (the queue) may create their folders.
// Returns the exit code: 0 copied and verified, 1 otherwise (after printing why).
int copy_database(const db_side& from, const db_side& to, const std::filesystem::path& files_dir);

}  // namespace hearth::app
