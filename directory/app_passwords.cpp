#include "core/log/log.hpp"
#include "directory/sql_directory.hpp"

namespace hearth::directory {

namespace {

app_password read_app_password(const sql::rows& r, int i) {
  app_password p;
  p.id = r.int64(i, 0);
  p.account_id = r.int64(i, 1);
  p.name = r.text(i, 2);
  p.creds = stored_credentials{r.text(i, 3), r.text(i, 4), r.text(i, 5)};
  p.created = r.int64(i, 6);
  p.last_used = r.opt_int64(i, 7);
  return p;
}

}  // namespace

result<app_password> sql_directory::add_app_password(std::string_view address, std::string_view name,
                                                        const stored_credentials& creds) {
  auto addr = parse_address(address);
  if (!addr) return addr.error();
  if (name.empty() || !valid_label_text(name, max_app_password_name))
    return fail("directory.invalid", "an app password name is 1 to 64 printable characters");
  if (creds.argon2id.empty() || creds.argon2id.size() >= 4096 || creds.scram_sha1.size() >= 4096 ||
      creds.scram_sha256.size() >= 4096)
    return fail("directory.invalid", "missing or oversized credentials");
  auto& c = conn();
  auto tx = sql::transaction::begin(c, sql::durability::full);
  if (!tx) return tx.error();
  auto id = account_id(c, *addr);
  if (!id) return id.error();
  if (!*id) return fail("directory.not_found", "no account " + *addr);
  auto dup = c.query("SELECT 1 FROM app_passwords WHERE account_id = ?1 AND name = ?2", **id, name);
  if (!dup) return dup.error();
  if (!dup->empty()) return fail("directory.exists", "app password \"" + std::string(name) + "\" exists for " + *addr);
  app_password p{0, **id, std::string(name), creds, unix_now(), std::nullopt};
  auto ins = c.query_int(
      "INSERT INTO app_passwords(account_id, name, argon2id, scram_sha1, scram_sha256, created) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
      p.account_id, p.name, creds.argon2id, creds.scram_sha1, creds.scram_sha256, p.created);
  if (!ins) return ins.error();
  p.id = ins->value_or(0);
  if (auto r = tx->commit(); !r) return r.error();
  log::info("directory.app_password_added", {{"user", *addr}, {"name", p.name}});
  return p;
}

result<void> sql_directory::revoke_app_password(std::string_view address, std::string_view name) {
  auto addr = parse_address(address);
  if (!addr) return addr.error();
  auto st = conn().query(
      "DELETE FROM app_passwords WHERE name = ?2 AND account_id = (SELECT id FROM accounts WHERE address = ?1)", *addr,
      name);
  if (!st) return st.error();
  if (st->affected() == 0) return fail("directory.not_found", "no app password \"" + std::string(name.substr(0, 64)) + "\" for " + *addr);
  log::info("directory.app_password_revoked", {{"user", *addr}, {"name", name}});
  return {};
}

std::vector<app_password> sql_directory::app_passwords(std::string_view address) {
  std::vector<app_password> out;
  auto addr = normalize_address(address);
  if (!addr) return out;
  auto r = conn()
               .query(
                   "SELECT p.id, p.account_id, p.name, p.argon2id, p.scram_sha1, p.scram_sha256, p.created, "
                   "p.last_used FROM app_passwords p JOIN accounts a ON a.id = p.account_id "
                   "WHERE a.address = ?1 ORDER BY p.name",
                   *addr)
               .value();
  for (int i = 0; i < r.size(); ++i) out.push_back(read_app_password(r, i));
  return out;
}

result<void> sql_directory::touch_app_password(std::int64_t id) {
  // One statement, autocommit, normal durability: losing a "last used" stamp to a power cut
  // is harmless, and logins should not wait for an fsync.
  auto st = conn().query("UPDATE app_passwords SET last_used = ?2 WHERE id = ?1", id, unix_now());
  if (!st) return st.error();
  if (st->affected() == 0) return fail("directory.not_found", "no app password with id " + std::to_string(id));
  return {};
}

}  // namespace hearth::directory
