// The one account backend (ARCHITECTURE.md principle 2): domains, accounts, aliases, app
// passwords, DKIM keys. Every login and every local delivery asks it.
//
// Addresses: every method normalizes its input with normalize_address() (directory/address.hpp):
// the ASCII local part and the domain are case-insensitive, IDN domains may be given in Unicode
// or ACE. Everything is stored and returned normalized (ACE domains).
//
// Thread-safety and processes: every method may be called from any thread at once (each thread
// uses its own database connection), and several processes may share the file (`hearth user add`
// while `hearth serve` runs): nothing is cached, every read goes to the database.
//
// Errors: changes return hearth::result with these codes —
//   "directory.invalid"   malformed address / domain / name / value
//   "directory.exists"    the domain, account, alias target, app password or DKIM selector exists
//   "directory.no_domain" the address's domain is not a local domain
//   "directory.not_found" no such domain / account / alias / app password
//   "directory.not_empty" remove_domain while the domain has accounts
//   "directory.conflict"  an account where an alias is, or the reverse
//   "directory.required"  the change would leave postmaster@ / abuse@ without a target
//   "db.*"                the database failed (see core/db/db.hpp)
// Lookups (find_*, domains(), accounts(), resolve()...) return plain values, where "not found"
// is an empty optional/vector; a database failure there THROWS hearth::error_exception, so
// that it can never be mistaken for "unknown user" (an SMTP server must answer 4xx, not 550,
// when its directory is unavailable): let it reach the session boundary.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "directory/address.hpp"
#include "directory/credentials.hpp"

namespace hearth::directory {

struct domain {
  std::int64_t id = 0;
  std::string name;     // ACE, lowercase
  std::string display;  // Unicode
  std::int64_t created = 0;  // Unix seconds
};

struct account {
  std::int64_t id = 0;
  std::string address;  // normalized
  std::string display_name;
  std::int64_t quota_bytes = 0;  // 0 = unlimited
  bool disabled = false;
  std::int64_t created = 0;
  bool admin = false;  // may use the web console's admin pages and /api/v1/admin/
};

struct app_password {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::string name;
  stored_credentials creds;
  std::int64_t created = 0;
  std::optional<std::int64_t> last_used;
};

struct alias {
  std::string source;                // "x@d" or "@d" (catch-all)
  std::vector<std::string> targets;  // normalized addresses, local or remote, in insertion order
};

struct dkim_key {
  std::string domain;     // ACE
  std::string selector;   // lowercase
  std::string algorithm;  // "rsa-sha256" | "ed25519-sha256"
  std::string private_pem;
  std::int64_t created = 0;
};

// The login history (auth/ throttling; shown to the user): addresses that logged in, and
// failed logins and blocks.
struct login_address {
  std::string ip;  // an address, or an IPv6 /64 ("2001:db8:1:2::/64")
  std::int64_t first_seen = 0;
  std::int64_t last_seen = 0;
};

struct login_event {
  std::int64_t at = 0;  // Unix seconds
  std::string ip;
  std::string proto;  // "imap", "smtp", "xmpp", "http", ...
  std::string event;  // "failed", "blocked_ip", "blocked_account"
};

// Limits (bad input gets an error value).
inline constexpr std::size_t max_display_name = 256;
inline constexpr std::size_t max_app_password_name = 64;
inline constexpr std::size_t max_alias_targets = 1000;
inline constexpr int max_alias_depth = 8;
inline constexpr std::size_t max_login_addresses = 32;  // per account, least recently used go
inline constexpr std::size_t max_login_events = 500;    // per account, oldest go

// One implementation serves both engines (core/sql): open() picks SQLite or PostgreSQL.
class directory {
 public:
  virtual ~directory() = default;

  // `target`: the SQLite file (created if missing) or a PostgreSQL URL (sql::open); applies the
  // schema migrations (component "directory"). Errors: "db.open", "db.schema_newer",
  // "db.migration".
  static result<std::unique_ptr<directory>> open(const std::string& target);

  // ---- domains ----
  // `name` in Unicode or ACE. Errors: invalid, exists.
  virtual result<domain> add_domain(std::string_view name) = 0;
  // Also removes the domain's aliases and DKIM keys. Errors: invalid, not_found, not_empty.
  virtual result<void> remove_domain(std::string_view name) = 0;
  virtual std::vector<domain> domains() = 0;
  virtual std::optional<domain> find_domain(std::string_view name) = 0;
  virtual bool is_local_domain(std::string_view name) = 0;

  // ---- accounts ----
  // RFC 5321 §4.5.1 and RFC 2142 §4: postmaster@ and abuse@ must reach someone, so the first
  // account of a domain gets them as aliases (unless they exist). Errors: invalid, no_domain,
  // exists, conflict (the address is an alias source).
  virtual result<account> add_account(std::string_view address, const stored_credentials& creds,
                                      std::string_view display_name = "", std::int64_t quota_bytes = 0) = 0;
  // Removes the account, its app passwords, and it from every alias's targets; postmaster@ and
  // abuse@ left without a target are pointed at another account of the domain. Errors:
  // invalid, not_found.
  virtual result<void> remove_account(std::string_view address) = 0;
  virtual result<void> set_credentials(std::string_view address, const stored_credentials& creds) = 0;
  // A disabled account cannot log in (credentials() returns nullopt) but still receives mail.
  virtual result<void> set_disabled(std::string_view address, bool disabled) = 0;
  // Administrators run the server from the web console (`hearth user admin ADDRESS on|off`).
  virtual result<void> set_admin(std::string_view address, bool admin) = 0;
  virtual result<void> set_display_name(std::string_view address, std::string_view display_name) = 0;
  virtual result<void> set_quota(std::string_view address, std::int64_t quota_bytes) = 0;
  virtual std::optional<account> find_account(std::string_view address) = 0;
  // All accounts, or those of one domain (Unicode or ACE), ordered by address.
  virtual std::vector<account> accounts(std::optional<std::string> domain = std::nullopt) = 0;
  // The login credentials; nullopt if the account does not exist OR is disabled (so a caller
  // that forgets to check `disabled` still refuses the login).
  virtual std::optional<stored_credentials> credentials(std::string_view address) = 0;

  // ---- app passwords (per-device passwords; the name is unique per account) ----
  // Errors: invalid (empty / too long / control characters in name), not_found, exists.
  virtual result<app_password> add_app_password(std::string_view address, std::string_view name,
                                                const stored_credentials& creds) = 0;
  virtual result<void> revoke_app_password(std::string_view address, std::string_view name) = 0;
  // Empty if the account does not exist. Includes the credentials, for auth to verify against.
  virtual std::vector<app_password> app_passwords(std::string_view address) = 0;
  // Records that app password `id` was just used. Errors: not_found.
  virtual result<void> touch_app_password(std::int64_t id) = 0;

  // ---- login history ----
  // Records a successful login from `ip` (first/last seen); keeps the max_login_addresses most
  // recently seen per account. Errors: invalid (empty or over 64 octets), not_found.
  virtual result<void> remember_login_address(std::string_view address, std::string_view ip) = 0;
  virtual bool is_login_address(std::string_view address, std::string_view ip) = 0;
  // Most recently seen first; empty if the account does not exist.
  virtual std::vector<login_address> login_addresses(std::string_view address) = 0;
  // Appends an event (its `at` is now when 0); keeps the newest max_login_events per account.
  // Errors: invalid, not_found (no such account: callers ignore it).
  virtual result<void> add_login_event(std::string_view address, const login_event& e) = 0;
  // Newest first, at most `limit`.
  virtual std::vector<login_event> login_events(std::string_view address, std::size_t limit) = 0;

  // ---- aliases ----
  // `source` is "x@d" (d local, x not an account) or "@d" (catch-all for d). Targets are
  // addresses, local or remote; adding to an existing alias appends the new targets (those
  // already present are skipped). Errors: invalid, no_domain, conflict, invalid (more than
  // max_alias_targets targets).
  virtual result<void> add_alias(std::string_view source, const std::vector<std::string>& targets) = 0;
  // Removes one target, or the whole alias when `target` is empty. Errors: invalid, not_found,
  // required (the last target of postmaster@/abuse@ while the domain has accounts).
  virtual result<void> remove_alias(std::string_view source, std::optional<std::string> target = std::nullopt) = 0;
  // All aliases, or those of one domain, ordered by source.
  virtual std::vector<alias> aliases(std::optional<std::string> domain = std::nullopt) = 0;

  // The final delivery addresses for a recipient, de-duplicated, in order:
  //  - an account: itself (also when disabled);
  //  - an alias source: its targets, expanded recursively (depth limit max_alias_depth, loops
  //    cut, each address once);
  //  - else, for a local domain, the domain's catch-all targets (expanded the same way);
  //  - else, for a remote domain, the address itself (as a target of an alias; a caller asking
  //    about a remote recipient directly gets it back too).
  // Empty: an unknown user of a local domain, or an invalid address.
  virtual std::vector<std::string> resolve(std::string_view address) = 0;

  // ---- DKIM keys (RFC 6376; the selector is a DNS name, lowercase) ----
  // Errors: invalid (selector / algorithm / empty PEM), no_domain, exists (domain + selector).
  virtual result<dkim_key> add_dkim_key(std::string_view domain, std::string_view selector,
                                        std::string_view algorithm, std::string_view private_pem) = 0;
  virtual std::vector<dkim_key> dkim_keys(std::string_view domain) = 0;
};

}  // namespace hearth::directory
