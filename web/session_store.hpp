// The web console's sign-in sessions: what the API needs to know about the cookie a browser
// sends back. The store keeps only a hash of each session token (a copy of the database does
// not let anyone sign in), the CSRF token that goes with it, and when it expires.
//
//   auto st = web::open_session_store((data_dir / "hearth.db").string()).value();
//   auto s = st->create("alice@home.test", "127.0.0.1", std::chrono::hours(12)).value();
//   // Set-Cookie with s.token; answer s.csrf
//   auto found = st->find(s.token);   // optional<session>; nullopt when unknown or expired
//
// Sessions belong to an account and go with it (and with "log out everywhere", remove_all).
// Thread-safety: every method may be called from any thread at once. Every call blocks on
// disk: call it from the HTTP router's handlers (they run on the blocking pool).
// Errors: "web.no_account" (create for an address the directory does not have),
// "web.invalid", "db.*". find() THROWS hearth::error_exception when the database fails, so
// that it is never mistaken for "not signed in".
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/result.hpp"

namespace hearth::web {

struct session {
  std::string id;       // a stable id that is not the token (for listings; never a credential)
  std::string address;  // the account, normalized
  std::string csrf;     // what X-CSRF-Token must carry
  std::int64_t created = 0;  // Unix seconds
  std::int64_t expires = 0;
  std::string ip;       // where it was created
  std::int64_t last_used = 0;  // the last find() that found it, to a few seconds
};

struct new_session {
  std::string token;  // goes into the cookie; the store keeps only its hash
  session info;
};

class session_store {
 public:
  virtual ~session_store() = default;
  // Errors: web.no_account, db.*.
  virtual result<new_session> create(std::string_view address, std::string_view ip, std::chrono::seconds lifetime) = 0;
  // The live session for a token, or nullopt (unknown, expired, malformed, or unused for
  // `idle` or longer; idle 0 = no idle limit). Finding a session counts as a use: the store
  // writes that down (coarsely, not on every call, so that reading pages costs no write
  // each time).
  virtual std::optional<session> find(std::string_view token, std::chrono::seconds idle) = 0;
  std::optional<session> find(std::string_view token) { return find(token, std::chrono::seconds(0)); }
  // Ends one session; ending an unknown one is not an error.
  virtual result<void> remove(std::string_view token) = 0;
  // Ends every session of the account ("log out everywhere", a password change) except the
  // one whose token is `keep` (empty: none kept); how many ended.
  virtual result<std::size_t> remove_all(std::string_view address, std::string_view keep = {}) = 0;
  // Removes expired sessions (called now and then; find() already ignores them).
  virtual result<void> purge_expired() = 0;
};

// In the directory's database (sessions refer to its accounts): `target` is a SQLite file path
// or a PostgreSQL URL, as sql::open takes; the directory must have been opened on it first
// (its migrations applied). Migration component "web" (sql_session_store.cpp).
result<std::unique_ptr<session_store>> open_session_store(const std::string& target);

}  // namespace hearth::web
