// Every store `hearth serve` opens, as a table: which SQLite file of the data directory holds
// its tables, and its open() (which creates or migrates them). `hearth db copy` builds a
// target's schema by opening each store on it, so the schema comes from the stores' own
// migrations, as when serve opens them. A store added to serve belongs here too.
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::app {

struct store_schema {
  const char* name;         // for messages
  const char* sqlite_file;  // in the data directory, when the engine is SQLite
  // Opens the store on `target` (a file path or a URL) and closes it again. `data_dir`: the
  // instance's data directory, for stores that keep files beside their tables.
  std::function<result<void>(const std::string& target, const std::filesystem::path& data_dir)> open;
};

const std::vector<store_schema>& store_schemas();

}  // namespace hearth::app
