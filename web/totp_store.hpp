// Each account's second factor for the web console (RFC 6238 TOTP): the shared secret, whether
// it is on, the last step used (a code works once), and recent wrong codes (so the six digits
// cannot be guessed by trying them all once the password is known).
//
// A secret is first stored pending (set_pending) and turned on only when the user has shown a
// code from their app (enable): a QR code scanned wrongly cannot lock anyone out.
//
// Thread-safety: every method may be called from any thread at once; every call blocks on disk.
// Errors: "web.no_account", "web.invalid", "db.*"; get() THROWS hearth::error_exception when the
// database fails (never mistaken for "no second factor").
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/result.hpp"

namespace hearth::web {

struct totp_state {
  std::string secret;  // raw octets
  bool enabled = false;
  std::int64_t last_step = 0;    // the last step whose code was accepted
  int failures = 0;              // wrong codes in a row
  std::int64_t last_failure = 0; // Unix seconds
};

class totp_store {
 public:
  virtual ~totp_store() = default;
  virtual std::optional<totp_state> get(std::string_view address) = 0;
  // Stores a new secret, not yet on (replaces any earlier one, on or not).
  virtual result<void> set_pending(std::string_view address, std::string_view secret) = 0;
  virtual result<void> enable(std::string_view address, std::int64_t step) = 0;
  virtual result<void> remove(std::string_view address) = 0;
  // A code of `step` was accepted: it cannot be used again; the failure count starts over.
  virtual result<void> accepted(std::string_view address, std::int64_t step) = 0;
  // A wrong code at `now`; the failure count afterwards.
  virtual result<int> failed(std::string_view address, std::int64_t now) = 0;
};

// In the directory's database, after the directory (refers to its accounts): `target` is a
// SQLite file path or a PostgreSQL URL. Migration component "web_totp" (sql_totp_store.cpp).
result<std::unique_ptr<totp_store>> open_totp_store(const std::string& target);

}  // namespace hearth::web
