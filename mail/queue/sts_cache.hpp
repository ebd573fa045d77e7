// The MTA-STS policy cache (RFC 8461 §5.1): the last valid policy of each recipient domain,
// kept until its max_age runs out, so that an attacker who strips the TXT record or blocks the
// HTTPS fetch cannot turn an `enforce` domain back into opportunistic TLS. What the queue
// needs of a store; one implementation (sts_cache_sql.cpp) on core/sql.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/result.hpp"
#include "mail/queue/mta_sts.hpp"

namespace hearth::mail::queue {

class sts_cache {
 public:
  virtual ~sts_cache() = default;
  // The cached policy of the domain (lower case), expired or not; nullopt if none. Blocking;
  // thread-safe. Errors: "db.*".
  virtual result<std::optional<sts_policy>> get(std::string_view domain) = 0;
  // Replaces the domain's policy. Blocking; thread-safe. Errors: "db.*".
  virtual result<void> put(std::string_view domain, const sts_policy& p) = 0;
};

// Opens the cache (table queue_sts_policies, its own migrations) in `target`: a SQLite file
// path or a PostgreSQL URL, as sql::open takes. Errors: "db.*".
result<std::shared_ptr<sts_cache>> open_sts_cache(const std::string& target);

}  // namespace hearth::mail::queue
