// Naming a PostgreSQL connection string in logs and messages without its secrets.
#pragma once
#include <string>
#include <string_view>

namespace hearth::pg {

// "host=H port=P dbname=D" from a URL ("postgres://...", "postgresql://...") or libpq keywords,
// as libpq itself parses it (PQconninfoParse), with only those three fields: a password, in
// whatever place the string carries it (user:password@, ?password=, password=), never appears.
// A string libpq cannot parse gives "PostgreSQL (connection string not understood)".
// Thread-safe; does not connect.
std::string describe(std::string_view conninfo);

}  // namespace hearth::pg
