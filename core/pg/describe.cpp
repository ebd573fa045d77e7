#include "core/pg/describe.hpp"

#include <libpq-fe.h>

namespace hearth::pg {

std::string describe(std::string_view conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(std::string(conninfo).c_str(), &err);
  // libpq's parse error may quote the string it failed on, password included: not shown.
  if (err) PQfreemem(err);
  if (!opts) return "PostgreSQL (connection string not understood)";
  std::string host, port, dbname;
  for (auto* o = opts; o->keyword; ++o) {
    if (!o->val) continue;
    std::string_view k = o->keyword;
    if (k == "host" || (k == "hostaddr" && host.empty())) host = o->val;
    else if (k == "port") port = o->val;
    else if (k == "dbname") dbname = o->val;
  }
  PQconninfoFree(opts);
  // Unset fields are libpq's defaults (the local socket, 5432, the user's name): say so.
  std::string out = "host=" + (host.empty() ? std::string("(default)") : host);
  if (!port.empty()) out += " port=" + port;
  out += " dbname=" + (dbname.empty() ? std::string("(default)") : dbname);
  return out;
}

}  // namespace hearth::pg
