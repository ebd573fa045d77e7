#include "core/log/log.hpp"
#include "directory/sqlite_directory.hpp"

namespace hearth::directory {

namespace {

domain read_domain(const db::statement& st) {
  domain d;
  d.id = st.column_int64(0);
  d.name = st.column_text(1);
  d.display = display_domain(d.name);
  d.created = st.column_int64(2);
  return d;
}

}  // namespace

result<domain> sqlite_directory::add_domain(std::string_view name) {
  auto ace = parse_domain(name);
  if (!ace) return ace.error();
  auto& c = conn();
  auto tx = db::transaction::begin(c, db::durability::full);
  if (!tx) return tx.error();
  auto existing = domain_id(c, *ace);
  if (!existing) return existing.error();
  if (*existing) return fail("directory.exists", "domain " + *ace + " exists");
  auto st = c.prepare("INSERT INTO domains(name, created) VALUES(?1, ?2)");
  if (!st) return st.error();
  domain d{0, *ace, display_domain(*ace), unix_now()};
  st->bind_all(d.name, d.created);
  if (auto r = st->run(); !r) return r.error();
  d.id = c.last_insert_rowid();
  if (auto r = tx->commit(); !r) return r.error();
  log::info("directory.domain_added", {{"domain", d.name}});
  return d;
}

result<void> sqlite_directory::remove_domain(std::string_view name) {
  auto ace = parse_domain(name);
  if (!ace) return ace.error();
  auto& c = conn();
  auto tx = db::transaction::begin(c, db::durability::full);
  if (!tx) return tx.error();
  auto id = domain_id(c, *ace);
  if (!id) return id.error();
  if (!*id) return fail("directory.not_found", "no domain " + *ace);
  auto n = c.prepare("SELECT COUNT(*) FROM accounts WHERE domain_id = ?1");
  if (!n) return n.error();
  n->bind(1, **id);
  if (auto r = n->step(); !r) return r.error();
  if (auto count = n->column_int64(0); count > 0)
    return fail("directory.not_empty", "domain " + *ace + " still has " + std::to_string(count) + " account(s)");
  auto del = c.prepare("DELETE FROM domains WHERE id = ?1");  // aliases and DKIM keys cascade
  if (!del) return del.error();
  del->bind(1, **id);
  if (auto r = del->run(); !r) return r;
  if (auto r = tx->commit(); !r) return r;
  log::info("directory.domain_removed", {{"domain", *ace}});
  return {};
}

std::vector<domain> sqlite_directory::domains() {
  auto st = conn().prepare("SELECT id, name, created FROM domains ORDER BY name").value();
  std::vector<domain> out;
  while (st.step().value()) out.push_back(read_domain(st));
  return out;
}

std::optional<domain> sqlite_directory::find_domain(std::string_view name) {
  auto ace = normalize_domain(name);
  if (!ace) return std::nullopt;
  auto st = conn().prepare("SELECT id, name, created FROM domains WHERE name = ?1").value();
  st.bind(1, *ace);
  if (!st.step().value()) return std::nullopt;
  return read_domain(st);
}

bool sqlite_directory::is_local_domain(std::string_view name) {
  auto ace = normalize_domain(name);
  if (!ace) return false;
  return domain_id(conn(), *ace).value().has_value();
}

}  // namespace hearth::directory
