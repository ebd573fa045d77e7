#include "core/log/log.hpp"
#include "directory/sql_directory.hpp"

namespace hearth::directory {

namespace {

constexpr const char* domain_columns = "SELECT id, name, created FROM domains";

domain read_domain(const sql::rows& r, int i) {
  domain d;
  d.id = r.int64(i, 0);
  d.name = r.text(i, 1);
  d.display = display_domain(d.name);
  d.created = r.int64(i, 2);
  return d;
}

}  // namespace

result<domain> sql_directory::add_domain(std::string_view name) {
  auto ace = parse_domain(name);
  if (!ace) return ace.error();
  auto& c = conn();
  auto tx = sql::transaction::begin(c, sql::durability::full);
  if (!tx) return tx.error();
  auto existing = domain_id(c, *ace);
  if (!existing) return existing.error();
  if (*existing) return fail("directory.exists", "domain " + *ace + " exists");
  domain d{0, *ace, display_domain(*ace), unix_now()};
  auto id = c.query_int("INSERT INTO domains(name, created) VALUES(?1, ?2) RETURNING id", d.name, d.created);
  if (!id) return id.error();
  d.id = id->value_or(0);
  if (auto r = tx->commit(); !r) return r.error();
  log::info("directory.domain_added", {{"domain", d.name}});
  return d;
}

result<void> sql_directory::remove_domain(std::string_view name) {
  auto ace = parse_domain(name);
  if (!ace) return ace.error();
  auto& c = conn();
  auto tx = sql::transaction::begin(c, sql::durability::full);
  if (!tx) return tx.error();
  auto id = domain_id(c, *ace);
  if (!id) return id.error();
  if (!*id) return fail("directory.not_found", "no domain " + *ace);
  auto n = c.query_int("SELECT COUNT(*) FROM accounts WHERE domain_id = ?1", **id);
  if (!n) return n.error();
  if (auto count = n->value_or(0); count > 0)
    return fail("directory.not_empty", "domain " + *ace + " still has " + std::to_string(count) + " account(s)");
  if (auto r = c.query("DELETE FROM domains WHERE id = ?1", **id); !r) return r.error();  // aliases, DKIM keys cascade
  if (auto r = tx->commit(); !r) return r;
  log::info("directory.domain_removed", {{"domain", *ace}});
  return {};
}

std::vector<domain> sql_directory::domains() {
  auto r = conn().query(std::string(domain_columns) + " ORDER BY name").value();
  std::vector<domain> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(read_domain(r, i));
  return out;
}

std::optional<domain> sql_directory::find_domain(std::string_view name) {
  auto ace = normalize_domain(name);
  if (!ace) return std::nullopt;
  auto r = conn().query(std::string(domain_columns) + " WHERE name = ?1", *ace).value();
  if (r.empty()) return std::nullopt;
  return read_domain(r, 0);
}

bool sql_directory::is_local_domain(std::string_view name) {
  auto ace = normalize_domain(name);
  if (!ace) return false;
  return domain_id(conn(), *ace).value().has_value();
}

}  // namespace hearth::directory
