// The directory's schema, as numbered migrations (component "directory"), and open().
// Never edit a released migration: add the next one.
#include <chrono>

#include "directory/sql_directory.hpp"

namespace hearth::directory {

namespace {

// Addresses are stored normalized (directory/address.hpp), so plain BINARY comparison is the
// case-insensitive comparison we want; no COLLATE NOCASE (it would fold only ASCII anyway).
constexpr sql::migration migrations[] = {
    {1, "domains, accounts, aliases, app passwords, dkim keys", R"sql(
CREATE TABLE domains(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL
);
CREATE TABLE accounts(
  id INTEGER PRIMARY KEY,
  domain_id INTEGER NOT NULL REFERENCES domains(id),
  address TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL DEFAULT '',
  quota_bytes INTEGER NOT NULL DEFAULT 0 CHECK(quota_bytes >= 0),
  disabled INTEGER NOT NULL DEFAULT 0,
  argon2id TEXT NOT NULL,
  scram_sha1 TEXT NOT NULL,
  scram_sha256 TEXT NOT NULL,
  created INTEGER NOT NULL
);
CREATE INDEX accounts_domain ON accounts(domain_id);
CREATE TABLE aliases(
  id INTEGER PRIMARY KEY,
  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  source TEXT NOT NULL,
  target TEXT NOT NULL,
  UNIQUE(source, target)
);
CREATE INDEX aliases_domain ON aliases(domain_id);
CREATE INDEX aliases_target ON aliases(target);
CREATE TABLE app_passwords(
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  argon2id TEXT NOT NULL,
  scram_sha1 TEXT NOT NULL,
  scram_sha256 TEXT NOT NULL,
  created INTEGER NOT NULL,
  last_used INTEGER,
  UNIQUE(account_id, name)
);
CREATE TABLE dkim_keys(
  id INTEGER PRIMARY KEY,
  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  selector TEXT NOT NULL,
  algorithm TEXT NOT NULL CHECK(algorithm IN ('rsa-sha256', 'ed25519-sha256')),
  private_pem TEXT NOT NULL,
  created INTEGER NOT NULL,
  UNIQUE(domain_id, selector)
);
)sql"},
    {2, "login history: known client addresses and failed logins per account", R"sql(
CREATE TABLE login_addresses(
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  ip TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY(account_id, ip)
) WITHOUT ROWID;
CREATE TABLE login_events(
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  ip TEXT NOT NULL,
  proto TEXT NOT NULL,
  event TEXT NOT NULL
);
CREATE INDEX login_events_account ON login_events(account_id, id);
)sql"},
    {3, "admin flag on accounts (the web console's administrators)", R"sql(
ALTER TABLE accounts ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
)sql"},
};

}  // namespace

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

result<std::string> parse_address(std::string_view address) {
  auto n = normalize_address(address);
  if (!n) return fail("directory.invalid", "not a valid address: " + std::string(address.substr(0, 300)));
  return std::move(*n);
}

result<std::string> parse_domain(std::string_view domain) {
  auto n = normalize_domain(domain);
  if (!n) return fail("directory.invalid", "not a valid domain: " + std::string(domain.substr(0, 300)));
  return std::move(*n);
}

bool valid_label_text(std::string_view s, std::size_t max) {
  if (s.size() > max) return false;
  // Unlike addresses, names may contain spaces; control characters are refused because these
  // strings end up in log lines and admin listings.
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    std::size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (len == 0 || c > 0xf4 || i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    if (len == 2 && c == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0) return false;  // C1
    if (len == 3 && c == 0xe0 && static_cast<unsigned char>(s[i + 1]) < 0xa0) return false;  // overlong
    if (len == 3 && c == 0xed && static_cast<unsigned char>(s[i + 1]) >= 0xa0) return false;  // surrogate
    if (len == 4 && c == 0xf0 && static_cast<unsigned char>(s[i + 1]) < 0x90) return false;  // overlong
    if (len == 4 && c == 0xf4 && static_cast<unsigned char>(s[i + 1]) >= 0x90) return false;  // > U+10FFFF
    i += len;
  }
  return true;
}

result<std::unique_ptr<directory>> directory::open(const std::string& target) {
  auto d = sql::open_migrated(target, "directory", migrations);
  if (!d) return d.error();
  return std::unique_ptr<directory>(std::make_unique<sql_directory>(std::move(*d)));
}

// ---- shared helpers ------------------------------------------------------------------------

result<std::optional<std::int64_t>> sql_directory::domain_id(sql::connection& c, std::string_view ace) {
  return c.query_int("SELECT id FROM domains WHERE name = ?1", ace);
}

result<std::optional<std::int64_t>> sql_directory::account_id(sql::connection& c, std::string_view address) {
  return c.query_int("SELECT id FROM accounts WHERE address = ?1", address);
}

result<bool> sql_directory::is_alias_source(sql::connection& c, std::string_view source) {
  auto r = c.query("SELECT 1 FROM aliases WHERE source = ?1 LIMIT 1", source);
  if (!r) return r.error();
  return !r->empty();
}

result<std::vector<std::string>> sql_directory::alias_targets(sql::connection& c, std::string_view source) {
  auto r = c.query("SELECT target FROM aliases WHERE source = ?1 ORDER BY id", source);
  if (!r) return r.error();
  std::vector<std::string> out;
  for (int i = 0; i < r->size(); ++i) out.push_back(r->text(i, 0));
  return out;
}

result<void> sql_directory::ensure_role_aliases(sql::connection& c, std::int64_t domain_id, std::string_view ace) {
  auto first = c.query("SELECT address FROM accounts WHERE domain_id = ?1 ORDER BY id LIMIT 1", domain_id);
  if (!first) return first.error();
  if (first->empty()) return {};  // no account: nobody to point at, and nothing to deliver to anyway
  std::string target = first->text(0, 0);
  for (std::string_view role : {"postmaster@", "abuse@"}) {
    std::string source = std::string(role) + std::string(ace);
    auto acc = account_id(c, source);
    if (!acc) return acc.error();
    if (*acc) continue;
    auto has = is_alias_source(c, source);
    if (!has) return has.error();
    if (*has) continue;
    if (auto r = c.query("INSERT INTO aliases(domain_id, source, target) VALUES(?1, ?2, ?3)", domain_id, source, target);
        !r)
      return r.error();
  }
  return {};
}

}  // namespace hearth::directory
