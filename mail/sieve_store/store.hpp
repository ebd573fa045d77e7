// The Sieve script store: each account's scripts (RFC 5804's model: named scripts, at most one
// active), the global scripts an administrator installs (run before/after every user's script,
// or named by `include :global`), and the per-account memory delivery needs (vacation replies
// already sent, duplicate ids seen).
//
//   auto st = sieve_store::open(data_dir / "hearth.db", {}).value();
//   st->put("alice@home.test", "rules", "require \"fileinto\"; fileinto \"Lists\";");
//   st->set_active("alice@home.test", "rules");
//   auto a = st->active("alice@home.test");          // optional<script>
//
// Accounts are named by address (normalized like the directory does) and must exist in the
// directory: scripts and the delivery memory belong to the account and go with it when the
// account is removed. Script names: 1..max_name_bytes octets of UTF-8 without control
// characters (RFC 5804 §1.6), compared octet by octet.
//
// Quotas (per account): the number of scripts, the size of one script, the total size. put()
// replacing a script counts the new size instead of the old one (RFC 5804 §2.6).
//
// Thread-safety: every method may be called from any thread at once (one SQLite connection per
// thread). Every call blocks on disk: run it on the blocking pool from a session coroutine.
// Changes commit with durability::full before returning (a PUTSCRIPT answered OK survives).
//
// Errors (hearth::result codes):
//   "sieve.invalid"        bad account address or script name
//   "sieve.no_account"     the directory has no such account
//   "sieve.not_found"      no such script
//   "sieve.exists"         rename onto an existing name
//   "sieve.active"         remove of the active script (RFC 5804 §2.10)
//   "sieve.quota_scripts"  put would exceed the number of scripts
//   "sieve.quota_size"     put would exceed the script or total size
//   "db.*"                 storage failures (core/sql/sql.hpp)
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::mail::sieve_store {

inline constexpr std::size_t max_name_bytes = 512;

struct quota {
  std::size_t max_scripts = 20;
  std::uint64_t max_script_bytes = 64 * 1024;
  std::uint64_t max_total_bytes = 1024 * 1024;
};

struct script_info {
  std::string name;
  bool active = false;
  std::uint64_t size = 0;
};

struct script {
  std::string name;
  std::string content;
};

// True when `name` is acceptable as a script name (personal or global).
bool valid_name(std::string_view name);

class store {
 public:
  virtual ~store() = default;

  // Opens (and migrates) the scripts in the directory's database (a SQLite file or a
  // PostgreSQL URL, as sql::open takes): the tables refer to the directory's accounts, so the
  // directory must have been opened (migrated) on it first.
  static result<std::unique_ptr<store>> open(const std::string& target, quota q);

  const quota& limits() const { return quota_; }

  // ---- personal scripts ----
  // Sorted by name.
  virtual result<std::vector<script_info>> list(std::string_view account) = 0;
  virtual result<std::string> get(std::string_view account, std::string_view name) = 0;
  // Whether a script `name` of `size` octets would fit (RFC 5804 HAVESPACE), counting a script
  // of the same name as replaced. Errors: the quota codes.
  virtual result<void> check_space(std::string_view account, std::string_view name, std::uint64_t size) = 0;
  // Creates or replaces `name`; an active script stays active.
  virtual result<void> put(std::string_view account, std::string_view name, std::string_view content) = 0;
  // Makes `name` the one active script; nullopt deactivates all (SETACTIVE "").
  virtual result<void> set_active(std::string_view account, std::optional<std::string_view> name) = 0;
  virtual result<void> remove(std::string_view account, std::string_view name) = 0;
  virtual result<void> rename(std::string_view account, std::string_view from, std::string_view to) = 0;
  virtual result<std::optional<script>> active(std::string_view account) = 0;

  // ---- global scripts (administrator's) ----
  virtual result<std::vector<script_info>> global_list() = 0;
  // nullopt when absent.
  virtual result<std::optional<std::string>> global_get(std::string_view name) = 0;
  virtual result<void> global_put(std::string_view name, std::string_view content) = 0;
  virtual result<void> global_remove(std::string_view name) = 0;

  // ---- delivery memory ----
  // Records that `key` (a vacation reply to a sender, a duplicate id) was seen for `account` in
  // `kind` ("vacation", "duplicate") and is remembered until now + period_seconds. Returns true
  // when it was already remembered (not expired): the caller skips the action, and the expiry is
  // left as it was. Expired entries are removed on the way.
  virtual result<bool> remember(std::string_view account, std::string_view kind, std::string_view key,
                                std::int64_t now, std::int64_t period_seconds) = 0;
  // Whether `key` is remembered (not expired) without recording it.
  virtual result<bool> remembered(std::string_view account, std::string_view kind, std::string_view key,
                                  std::int64_t now) = 0;

 protected:
  explicit store(quota q) : quota_(q) {}
  quota quota_;
};

}  // namespace hearth::mail::sieve_store
