#include "core/log/log.hpp"
#include "directory/sql_directory.hpp"

namespace hearth::directory {

namespace {

constexpr const char* account_columns = "SELECT id, address, display_name, quota_bytes, disabled, created, admin FROM accounts";

account read_account(const sql::rows& r, int i) {
  account a;
  a.id = r.int64(i, 0);
  a.address = r.text(i, 1);
  a.display_name = r.text(i, 2);
  a.quota_bytes = r.int64(i, 3);
  a.disabled = r.int64(i, 4) != 0;
  a.created = r.int64(i, 5);
  a.admin = r.int64(i, 6) != 0;
  return a;
}

bool valid_creds(const stored_credentials& c) {
  // Opaque to us, but an empty verifier would be a wide-open account.
  return !c.argon2id.empty() && c.argon2id.size() < 4096 && c.scram_sha1.size() < 4096 && c.scram_sha256.size() < 4096;
}

// Runs an UPDATE on one account by address; not_found when no row changed.
template <class V>
result<void> update_one(sql::connection& c, const char* sql, std::string_view address, const V& value) {
  auto addr = parse_address(address);
  if (!addr) return addr.error();
  auto r = c.query(sql, *addr, value);
  if (!r) return r.error();
  if (r->affected() == 0) return fail("directory.not_found", "no account " + *addr);
  return {};
}

}  // namespace

result<account> sql_directory::add_account(std::string_view address, const stored_credentials& creds,
                                           std::string_view display_name, std::int64_t quota_bytes) {
  auto addr = parse_address(address);
  if (!addr) return addr.error();
  if (!valid_creds(creds)) return fail("directory.invalid", "missing or oversized credentials");
  if (!valid_label_text(display_name, max_display_name)) return fail("directory.invalid", "invalid display name");
  if (quota_bytes < 0) return fail("directory.invalid", "quota must be >= 0");
  std::string dom(domain_of(*addr));
  auto& c = conn();
  auto tx = sql::transaction::begin(c, sql::durability::full);
  if (!tx) return tx.error();
  auto did = domain_id(c, dom);
  if (!did) return did.error();
  if (!*did) return fail("directory.no_domain", dom + " is not a local domain");
  auto existing = account_id(c, *addr);
  if (!existing) return existing.error();
  if (*existing) return fail("directory.exists", "account " + *addr + " exists");
  auto alias = is_alias_source(c, *addr);
  if (!alias) return alias.error();
  if (*alias) return fail("directory.conflict", *addr + " is an alias; remove the alias first");

  account a{0, *addr, std::string(display_name), quota_bytes, false, unix_now()};
  auto id = c.query_int(
      "INSERT INTO accounts(domain_id, address, display_name, quota_bytes, disabled, argon2id, scram_sha1, "
      "scram_sha256, created) VALUES(?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8) RETURNING id",
      **did, a.address, a.display_name, a.quota_bytes, creds.argon2id, creds.scram_sha1, creds.scram_sha256, a.created);
  if (!id) return id.error();
  a.id = id->value_or(0);
  if (auto r = ensure_role_aliases(c, **did, dom); !r) return r.error();
  if (auto r = tx->commit(); !r) return r.error();
  log::info("directory.account_added", {{"user", a.address}});
  return a;
}

result<void> sql_directory::remove_account(std::string_view address) {
  auto addr = parse_address(address);
  if (!addr) return addr.error();
  std::string dom(domain_of(*addr));
  auto& c = conn();
  auto tx = sql::transaction::begin(c, sql::durability::full);
  if (!tx) return tx.error();
  auto id = account_id(c, *addr);
  if (!id) return id.error();
  if (!*id) return fail("directory.not_found", "no account " + *addr);
  auto did = domain_id(c, dom);
  if (!did) return did.error();
  if (auto r = c.query("DELETE FROM accounts WHERE id = ?1", **id); !r) return r.error();  // app passwords cascade
  if (auto r = c.query("DELETE FROM aliases WHERE target = ?1", *addr); !r) return r.error();
  // postmaster@/abuse@ must not dangle while the domain has accounts.
  if (*did) {
    if (auto r = ensure_role_aliases(c, **did, dom); !r) return r;
  }
  if (auto r = tx->commit(); !r) return r;
  log::info("directory.account_removed", {{"user", *addr}});
  return {};
}

result<void> sql_directory::set_credentials(std::string_view address, const stored_credentials& creds) {
  if (!valid_creds(creds)) return fail("directory.invalid", "missing or oversized credentials");
  auto addr = parse_address(address);
  if (!addr) return addr.error();
  auto r = conn().query("UPDATE accounts SET argon2id = ?2, scram_sha1 = ?3, scram_sha256 = ?4 WHERE address = ?1",
                        *addr, creds.argon2id, creds.scram_sha1, creds.scram_sha256);
  if (!r) return r.error();
  if (r->affected() == 0) return fail("directory.not_found", "no account " + *addr);
  log::info("directory.credentials_changed", {{"user", *addr}});
  return {};
}

result<void> sql_directory::set_admin(std::string_view address, bool admin) {
  return update_one(conn(), "UPDATE accounts SET admin = ?2 WHERE address = ?1", address, admin ? 1 : 0);
}

result<void> sql_directory::set_disabled(std::string_view address, bool disabled) {
  return update_one(conn(), "UPDATE accounts SET disabled = ?2 WHERE address = ?1", address, disabled ? 1 : 0);
}

result<void> sql_directory::set_display_name(std::string_view address, std::string_view display_name) {
  if (!valid_label_text(display_name, max_display_name)) return fail("directory.invalid", "invalid display name");
  return update_one(conn(), "UPDATE accounts SET display_name = ?2 WHERE address = ?1", address, display_name);
}

result<void> sql_directory::set_quota(std::string_view address, std::int64_t quota_bytes) {
  if (quota_bytes < 0) return fail("directory.invalid", "quota must be >= 0");
  return update_one(conn(), "UPDATE accounts SET quota_bytes = ?2 WHERE address = ?1", address, quota_bytes);
}

std::optional<account> sql_directory::find_account(std::string_view address) {
  auto addr = normalize_address(address);
  if (!addr) return std::nullopt;
  auto r = conn().query(std::string(account_columns) + " WHERE address = ?1", *addr).value();
  if (r.empty()) return std::nullopt;
  return read_account(r, 0);
}

std::vector<account> sql_directory::accounts(std::optional<std::string> domain) {
  std::vector<account> out;
  sql::rows r;
  if (domain) {
    auto ace = normalize_domain(*domain);
    if (!ace) return out;
    r = conn()
            .query(std::string(account_columns) +
                       " WHERE domain_id = (SELECT id FROM domains WHERE name = ?1) ORDER BY address",
                   *ace)
            .value();
  } else {
    r = conn().query(std::string(account_columns) + " ORDER BY address").value();
  }
  for (int i = 0; i < r.size(); ++i) out.push_back(read_account(r, i));
  return out;
}

std::optional<stored_credentials> sql_directory::credentials(std::string_view address) {
  auto addr = normalize_address(address);
  if (!addr) return std::nullopt;
  auto r = conn()
               .query("SELECT argon2id, scram_sha1, scram_sha256 FROM accounts WHERE address = ?1 AND disabled = 0",
                      *addr)
               .value();
  if (r.empty()) return std::nullopt;
  return stored_credentials{r.text(0, 0), r.text(0, 1), r.text(0, 2)};
}

}  // namespace hearth::directory
