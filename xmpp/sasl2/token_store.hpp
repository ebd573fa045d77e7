// FAST tokens (XEP-0484): per account and client (the SASL2 user-agent id), two slots as the
// XEP's implementation notes suggest: "new" (the last one issued) and "current" (the last one
// used). A new token goes into "new"; using it moves it to "current", which drops the older
// one; so a client that lost the answer carrying a new token still logs in with the old one.
//
// The store never keeps a token: each slot holds a random nonce, and the token is
// base64(HMAC-SHA-256(server secret, account, client, nonce)), so a copy of the database alone
// (a backup, a leak) lets no one log in.
//
// Errors: a database failure throws hearth::error_exception. Thread-safety: every method may be
// called from any thread.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::xmpp::sasl2 {

class token_store {
 public:
  virtual ~token_store() = default;
  // A new token in the "new" slot (replacing an unused one), valid until `expires` (seconds
  // since the epoch). Returns the token.
  virtual std::string issue(std::string_view account, std::string_view agent, std::int64_t expires) = 0;
  // The tokens valid at `now`: the "new" slot's first, then the "current" one's.
  virtual std::vector<std::string> tokens(std::string_view account, std::string_view agent, std::int64_t now) = 0;
  // `token` was used to log in: when it is the "new" one it becomes "current".
  virtual void used(std::string_view account, std::string_view agent, std::string_view token) = 0;
  // Forgets the client's tokens (XEP-0484 §3.5 invalidate).
  virtual void invalidate(std::string_view account, std::string_view agent) = 0;
};

// A table in `target` (a SQLite file path, DATA_DIR/xmpp.db by default, or a PostgreSQL URL, as
// sql::open takes) under the migration component "fast" (sql_token_store.cpp).
result<std::unique_ptr<token_store>> open_token_store(const std::string& target, std::string secret);

}  // namespace hearth::xmpp::sasl2
