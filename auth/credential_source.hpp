// Where the authenticator finds accounts and their credentials. The production implementation
// sits over the directory (auth/directory_source.hpp); tests and the fuzzer use an in-memory one.
#pragma once
#include "directory/credentials.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::auth {

struct credential_set {
  std::string name;  // "" = the account password, else the app password's name
  directory::stored_credentials creds;
  std::int64_t id = 0;  // the source's id for an app password (for used()), 0 otherwise
};

struct user_record {
  std::int64_t account_id = 0;
  std::string address;  // canonical address, returned to the session on success
  bool disabled = false;
  std::vector<credential_set> credentials;
};

class credential_source {
 public:
  virtual ~credential_source() = default;
  // The account a login name denotes, or nullopt if there is none. Must be callable from several
  // threads at once. The name is as the client sent it (the implementation normalises case,
  // IDNA etc.). Must not throw for bad input.
  // May throw hearth::error_exception when the backend fails (database unavailable): that must
  // not look like "unknown user"; the authenticator lets it through to the session.
  virtual std::optional<user_record> lookup(std::string_view username) = 0;

  // Called after a successful login with the credential set that matched (e.g. to record an
  // app password's last use). Default: nothing. Must not throw.
  virtual void used(const user_record& user, const credential_set& set) noexcept {}

  // Login history, for throttling (auth/throttle.hpp) and so the user can see attacks later.
  // `ip` is the throttle's address key without its prefix (an IPv6 /64, "2001:db8::/64").
  // Whether `ip` has logged in to the account `username` successfully before. Default: never.
  // May throw like lookup().
  virtual bool known_address(std::string_view username, std::string_view ip) { return false; }
  // After a successful login from `ip`. Implementations keep a bounded number per account.
  virtual void remember_address(const user_record& user, std::string_view ip) noexcept {}
  // A failed login ("failed") or the start of a block ("blocked_ip", "blocked_account") for the
  // account `username` (nothing when there is no such account). Must not throw.
  virtual void login_event(std::string_view username, std::string_view ip, std::string_view proto,
                           std::string_view event) noexcept {}
};

}  // namespace hearth::auth
