#include "xmpp/store/sql_archive.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace hearth::xmpp {

std::vector<archived> read_archived(const sql::rows& r) {
  std::vector<archived> out;
  for (int i = 0; i < r.size(); ++i) out.push_back({r.int64(i, 0), r.text(i, 1), r.text(i, 2), r.int64(i, 3), r.text(i, 4)});
  return out;
}

archive_page find_archive_page(sql::connection& c, const archive_table& t, std::string_view owner,
                               const archive_query& q) {
  const std::string table(t.table);
  // The filtered set in archive order; RSM after/before are positions in it. Placeholders are
  // numbered as the filters are added: PostgreSQL wants every parameter it is given to appear
  // in the statement.
  std::vector<sql::value> params{owner};
  std::string where = std::string(t.owner_column) + " = ?1";
  auto add = [&](std::string_view cond, sql::value v) {
    params.push_back(v);
    where += " AND " + std::string(cond) + " ?" + std::to_string(params.size());
  };
  if (q.with) add(std::string(t.with_column) + " =", std::string_view(*q.with));
  if (q.start_us) add("stamp >=", *q.start_us);
  if (q.end_us) add("stamp <=", *q.end_us);
  auto id_of = [&](const std::string& sid) {
    return c
        .query_int("SELECT id FROM " + table + " WHERE " + std::string(t.owner_column) + " = ?1 AND stanza_id = ?2",
                   owner, sid)
        .value()
        .value_or(0);
  };
  archive_page page;
  page.count = static_cast<std::size_t>(c.run("SELECT count(*) FROM " + table + " WHERE " + where, params).value().int64(0, 0));
  std::string sql =
      "SELECT id, stanza_id, " + std::string(t.with_column) + ", stamp, stanza FROM " + table + " WHERE " + where;
  bool backwards = false;
  if (q.after_id) {
    sql += " AND id > " + std::to_string(id_of(*q.after_id));
  } else if (q.before_id) {
    backwards = true;
    if (!q.before_id->empty()) sql += " AND id < " + std::to_string(id_of(*q.before_id));
  }
  // Archive ids grow with time (stamps are assigned at insertion), so id order is time order.
  sql += backwards ? " ORDER BY id DESC" : " ORDER BY id ASC";
  sql += " LIMIT " + std::to_string(q.max + 1);
  page.items = read_archived(c.run(sql, params).value());
  page.complete = page.items.size() <= q.max;
  if (!page.complete) page.items.pop_back();
  if (backwards) std::reverse(page.items.begin(), page.items.end());
  return page;
}

}  // namespace hearth::xmpp
