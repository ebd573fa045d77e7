#include "core/log/log.hpp"
#include "directory/sqlite_directory.hpp"

namespace hearth::directory {

namespace {

app_password read_app_password(const db::statement& st) {
  app_password p;
  p.id = st.column_int64(0);
  p.account_id = st.column_int64(1);
  p.name = st.column_text(2);
  p.creds = stored_credentials{st.column_text(3), st.column_text(4), st.column_text(5)};
  p.created = st.column_int64(6);
  p.last_used = st.column_opt_int64(7);
  return p;
}

}  // namespace

result<app_password> sqlite_directory::add_app_password(std::string_view address, std::string_view name,
                                                        const stored_credentials& creds) {
  auto addr = parse_address(address);
  if (!addr) return addr.error();
  if (name.empty() || !valid_label_text(name, max_app_password_name))
    return fail("directory.invalid", "an app password name is 1 to 64 printable characters");
  if (creds.argon2id.empty() || creds.argon2id.size() >= 4096 || creds.scram_sha1.size() >= 4096 ||
      creds.scram_sha256.size() >= 4096)
    return fail("directory.invalid", "missing or oversized credentials");
  auto& c = conn();
  auto tx = db::transaction::begin(c, db::durability::full);
  if (!tx) return tx.error();
  auto id = account_id(c, *addr);
  if (!id) return id.error();
  if (!*id) return fail("directory.not_found", "no account " + *addr);
  auto dup = c.prepare("SELECT 1 FROM app_passwords WHERE account_id = ?1 AND name = ?2");
  if (!dup) return dup.error();
  dup->bind_all(**id, name);
  auto row = dup->step();
  if (!row) return row.error();
  if (*row) return fail("directory.exists", "app password \"" + std::string(name) + "\" exists for " + *addr);
  app_password p{0, **id, std::string(name), creds, unix_now(), std::nullopt};
  auto ins = c.prepare(
      "INSERT INTO app_passwords(account_id, name, argon2id, scram_sha1, scram_sha256, created) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  if (!ins) return ins.error();
  ins->bind_all(p.account_id, p.name, creds.argon2id, creds.scram_sha1, creds.scram_sha256, p.created);
  if (auto r = ins->run(); !r) return r.error();
  p.id = c.last_insert_rowid();
  if (auto r = tx->commit(); !r) return r.error();
  log::info("directory.app_password_added", {{"user", *addr}, {"name", p.name}});
  return p;
}

result<void> sqlite_directory::revoke_app_password(std::string_view address, std::string_view name) {
  auto addr = parse_address(address);
  if (!addr) return addr.error();
  auto& c = conn();
  auto st = c.prepare(
      "DELETE FROM app_passwords WHERE name = ?2 AND account_id = (SELECT id FROM accounts WHERE address = ?1)");
  if (!st) return st.error();
  st->bind_all(*addr, name);
  if (auto r = st->run(); !r) return r;
  if (c.changes() == 0) return fail("directory.not_found", "no app password \"" + std::string(name.substr(0, 64)) + "\" for " + *addr);
  log::info("directory.app_password_revoked", {{"user", *addr}, {"name", name}});
  return {};
}

std::vector<app_password> sqlite_directory::app_passwords(std::string_view address) {
  std::vector<app_password> out;
  auto addr = normalize_address(address);
  if (!addr) return out;
  auto st = conn()
                .prepare(
                    "SELECT p.id, p.account_id, p.name, p.argon2id, p.scram_sha1, p.scram_sha256, p.created, "
                    "p.last_used FROM app_passwords p JOIN accounts a ON a.id = p.account_id "
                    "WHERE a.address = ?1 ORDER BY p.name")
                .value();
  st.bind(1, *addr);
  while (st.step().value()) out.push_back(read_app_password(st));
  return out;
}

result<void> sqlite_directory::touch_app_password(std::int64_t id) {
  // One statement, autocommit, normal durability: losing a "last used" stamp to a power cut
  // is harmless, and logins should not wait for an fsync.
  auto& c = conn();
  auto st = c.prepare("UPDATE app_passwords SET last_used = ?2 WHERE id = ?1");
  if (!st) return st.error();
  st->bind_all(id, unix_now());
  if (auto r = st->run(); !r) return r;
  if (c.changes() == 0) return fail("directory.not_found", "no app password with id " + std::to_string(id));
  return {};
}

}  // namespace hearth::directory
