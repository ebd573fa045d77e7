#include "core/log/log.hpp"
#include "directory/sqlite_directory.hpp"

namespace hearth::directory {

namespace {

constexpr const char* account_columns = "SELECT id, address, display_name, quota_bytes, disabled, created, admin FROM accounts";

account read_account(const db::statement& st) {
  account a;
  a.id = st.column_int64(0);
  a.address = st.column_text(1);
  a.display_name = st.column_text(2);
  a.quota_bytes = st.column_int64(3);
  a.disabled = st.column_int64(4) != 0;
  a.created = st.column_int64(5);
  a.admin = st.column_int64(6) != 0;
  return a;
}

bool valid_creds(const stored_credentials& c) {
  // Opaque to us, but an empty verifier would be a wide-open account.
  return !c.argon2id.empty() && c.argon2id.size() < 4096 && c.scram_sha1.size() < 4096 && c.scram_sha256.size() < 4096;
}

// Runs an UPDATE on one account by address; not_found when no row changed.
template <class V>
result<void> update_one(db::connection& c, const char* sql, std::string_view address, const V& value) {
  auto addr = parse_address(address);
  if (!addr) return addr.error();
  auto st = c.prepare(sql);
  if (!st) return st.error();
  st->bind_all(*addr, value);
  if (auto r = st->run(); !r) return r;
  if (c.changes() == 0) return fail("directory.not_found", "no account " + *addr);
  return {};
}

}  // namespace

result<account> sqlite_directory::add_account(std::string_view address, const stored_credentials& creds,
                                              std::string_view display_name, std::int64_t quota_bytes) {
  auto addr = parse_address(address);
  if (!addr) return addr.error();
  if (!valid_creds(creds)) return fail("directory.invalid", "missing or oversized credentials");
  if (!valid_label_text(display_name, max_display_name)) return fail("directory.invalid", "invalid display name");
  if (quota_bytes < 0) return fail("directory.invalid", "quota must be >= 0");
  std::string dom(domain_of(*addr));
  auto& c = conn();
  auto tx = db::transaction::begin(c, db::durability::full);
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
  auto st = c.prepare(
      "INSERT INTO accounts(domain_id, address, display_name, quota_bytes, disabled, argon2id, scram_sha1, "
      "scram_sha256, created) VALUES(?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8)");
  if (!st) return st.error();
  st->bind_all(**did, a.address, a.display_name, a.quota_bytes, creds.argon2id, creds.scram_sha1, creds.scram_sha256,
               a.created);
  if (auto r = st->run(); !r) return r.error();
  a.id = c.last_insert_rowid();
  if (auto r = ensure_role_aliases(c, **did, dom); !r) return r.error();
  if (auto r = tx->commit(); !r) return r.error();
  log::info("directory.account_added", {{"user", a.address}});
  return a;
}

result<void> sqlite_directory::remove_account(std::string_view address) {
  auto addr = parse_address(address);
  if (!addr) return addr.error();
  std::string dom(domain_of(*addr));
  auto& c = conn();
  auto tx = db::transaction::begin(c, db::durability::full);
  if (!tx) return tx.error();
  auto id = account_id(c, *addr);
  if (!id) return id.error();
  if (!*id) return fail("directory.not_found", "no account " + *addr);
  auto did = domain_id(c, dom);
  if (!did) return did.error();
  auto del = c.prepare("DELETE FROM accounts WHERE id = ?1");  // app passwords cascade
  if (!del) return del.error();
  del->bind(1, **id);
  if (auto r = del->run(); !r) return r;
  auto drop = c.prepare("DELETE FROM aliases WHERE target = ?1");
  if (!drop) return drop.error();
  drop->bind(1, *addr);
  if (auto r = drop->run(); !r) return r;
  // postmaster@/abuse@ must not dangle while the domain has accounts.
  if (*did) {
    if (auto r = ensure_role_aliases(c, **did, dom); !r) return r;
  }
  if (auto r = tx->commit(); !r) return r;
  log::info("directory.account_removed", {{"user", *addr}});
  return {};
}

result<void> sqlite_directory::set_credentials(std::string_view address, const stored_credentials& creds) {
  if (!valid_creds(creds)) return fail("directory.invalid", "missing or oversized credentials");
  auto addr = parse_address(address);
  if (!addr) return addr.error();
  auto& c = conn();
  auto st = c.prepare("UPDATE accounts SET argon2id = ?2, scram_sha1 = ?3, scram_sha256 = ?4 WHERE address = ?1");
  if (!st) return st.error();
  st->bind_all(*addr, creds.argon2id, creds.scram_sha1, creds.scram_sha256);
  if (auto r = st->run(); !r) return r;
  if (c.changes() == 0) return fail("directory.not_found", "no account " + *addr);
  log::info("directory.credentials_changed", {{"user", *addr}});
  return {};
}

result<void> sqlite_directory::set_admin(std::string_view address, bool admin) {
  return update_one(conn(), "UPDATE accounts SET admin = ?2 WHERE address = ?1", address, admin ? 1 : 0);
}

result<void> sqlite_directory::set_disabled(std::string_view address, bool disabled) {
  return update_one(conn(), "UPDATE accounts SET disabled = ?2 WHERE address = ?1", address, disabled ? 1 : 0);
}

result<void> sqlite_directory::set_display_name(std::string_view address, std::string_view display_name) {
  if (!valid_label_text(display_name, max_display_name)) return fail("directory.invalid", "invalid display name");
  return update_one(conn(), "UPDATE accounts SET display_name = ?2 WHERE address = ?1", address, display_name);
}

result<void> sqlite_directory::set_quota(std::string_view address, std::int64_t quota_bytes) {
  if (quota_bytes < 0) return fail("directory.invalid", "quota must be >= 0");
  return update_one(conn(), "UPDATE accounts SET quota_bytes = ?2 WHERE address = ?1", address, quota_bytes);
}

std::optional<account> sqlite_directory::find_account(std::string_view address) {
  auto addr = normalize_address(address);
  if (!addr) return std::nullopt;
  auto st = conn().prepare(std::string(account_columns) + " WHERE address = ?1").value();
  st.bind(1, *addr);
  if (!st.step().value()) return std::nullopt;
  return read_account(st);
}

std::vector<account> sqlite_directory::accounts(std::optional<std::string> domain) {
  std::vector<account> out;
  auto& c = conn();
  if (domain) {
    auto ace = normalize_domain(*domain);
    if (!ace) return out;
    auto st = c.prepare(std::string(account_columns) +
                        " WHERE domain_id = (SELECT id FROM domains WHERE name = ?1) ORDER BY address")
                  .value();
    st.bind(1, *ace);
    while (st.step().value()) out.push_back(read_account(st));
  } else {
    auto st = c.prepare(std::string(account_columns) + " ORDER BY address").value();
    while (st.step().value()) out.push_back(read_account(st));
  }
  return out;
}

std::optional<stored_credentials> sqlite_directory::credentials(std::string_view address) {
  auto addr = normalize_address(address);
  if (!addr) return std::nullopt;
  auto st = conn().prepare("SELECT argon2id, scram_sha1, scram_sha256 FROM accounts WHERE address = ?1 AND disabled = 0")
                .value();
  st.bind(1, *addr);
  if (!st.step().value()) return std::nullopt;
  return stored_credentials{st.column_text(0), st.column_text(1), st.column_text(2)};
}

}  // namespace hearth::directory
