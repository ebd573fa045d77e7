// Where push registrations (XEP-0357) live: per account, one row per (app server, node). The
// protocol needs only these four operations, so another backend implements just this class.
//
// Thread-safety: implementations are safe to call from any thread. Errors throw
// std::runtime_error (the module answers internal-server-error).
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "xmpp/modules/push/proto/push.hpp"

namespace hearth::xmpp::push {

class push_store {
 public:
  virtual ~push_store() = default;
  // Adds the registration, or replaces the one with the same app server and node.
  virtual void put(std::string_view account, const registration& r) = 0;
  // Removes the account's registrations at app server `jid` (only `node`'s, unless it is "");
  // returns how many went.
  virtual std::size_t remove(std::string_view account, std::string_view jid, std::string_view node) = 0;
  // The account's registrations, oldest first.
  virtual std::vector<registration> list(std::string_view account) = 0;
  // Whether the account has this (jid, node) registration already.
  virtual bool has(std::string_view account, std::string_view jid, std::string_view node) = 0;
};

// Opens the store (table push_registration, migration component "push") on `target`, a SQLite
// file (DATA_DIR/xmpp.db) or a PostgreSQL URL (see sql::open).
// Errors: "db.open", "db.migration", "db.schema_newer".
result<std::unique_ptr<push_store>> open_store(const std::string& target);

}  // namespace hearth::xmpp::push
