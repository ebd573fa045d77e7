// Admin API tokens (`hearth token create|list|revoke`): a script sends
// "Authorization: Bearer TOKEN" and acts as the admin account the token was made for.
//
//   auto st = web::admin::open_token_store((data_dir / "hearth.db").string()).value();
//   auto t = st->create("admin@home.test", "backup script").value();   // t.secret shown once
//   auto who = st->verify(t.secret).value();                            // optional<token_info>
//
// Only a SHA-256 of each secret is stored: the secret is 32 random octets, so a hash that is
// slow to compute (Argon2id, as for passwords) would add nothing against guessing and would
// cost every API request tens of milliseconds. A stolen database therefore gives no usable
// token. The token belongs to an account: it goes when the account goes, and the caller
// checks at each use that the account is still an enabled admin (the token is not a
// privilege of its own).
//
// Thread-safety: every method may be called from any thread at once (one database connection
// per thread). Every call blocks on disk.
//
// Errors (hearth::result codes):
//   "token.invalid"     empty / too long label, label with control characters
//   "token.no_account"  no such account (create)
//   "token.not_found"   no such token id (revoke)
//   "db.*"              storage failures ("db.open", "db.busy", "db.error"...)
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::web::admin {

inline constexpr std::size_t max_token_label = 64;
// Every token starts with this, so that secret scanners and people recognise one.
inline constexpr std::string_view token_prefix = "hearth_";
// A longer "Bearer" value cannot be ours: refused before hashing.
inline constexpr std::size_t max_token_length = 128;

struct token_info {
  std::int64_t id = 0;
  std::string address;  // the account it acts as
  std::string label;
  std::int64_t created = 0;                // Unix seconds
  std::optional<std::int64_t> last_used;   // Unix seconds
};

struct created_token {
  token_info info;
  std::string secret;  // "hearth_" + 64 hex digits; not stored, shown once
};

class token_store {
 public:
  virtual ~token_store() = default;
  // A new token for the account `address` (normalized as the directory does).
  virtual result<created_token> create(std::string_view address, std::string_view label) = 0;
  // Every token, newest first.
  virtual result<std::vector<token_info>> list() = 0;
  virtual result<void> revoke(std::int64_t id) = 0;
  // The token whose secret this is, its last use set to now; nullopt for an unknown or
  // malformed secret (compared by hash, so the time taken says nothing about the secret).
  virtual result<std::optional<token_info>> verify(std::string_view secret) = 0;
};

// The implementation (sql_token_store.cpp), in the directory's database: `target` is a SQLite
// file path or a PostgreSQL URL. Its table refers to the directory's accounts, so open the
// directory first. Migration component "web_tokens". Errors: "db.open", "db.schema_newer",
// "db.migration".
result<std::unique_ptr<token_store>> open_token_store(const std::string& target);

// The secret's shape (prefix, length, hex digits): a cheap check before any lookup.
bool well_formed_token(std::string_view secret);

}  // namespace hearth::web::admin
