// The decisions about incoming mail (smtp::inbound_decision), kept for a while so that the
// admin can answer "what happened to the mail from X?" without reading the logs. The one
// implementation (decision_store_sql.cpp) is written on core/sql; on SQLite it keeps them in
// DATA_DIR/decisions.db, a file of their own so that writing them never waits on the mail
// store's lock. Nothing above this interface sees SQL.
//
//   auto st = filter::open_decision_store((data_dir / "decisions.db").string()).value();
//   st->add(batch);                                   // one transaction for many records
//   auto last = st->search({.address = "bob@x.org", .limit = 50});
//   st->prune(now - 30 * 86400, 200000);
//
// Thread-safety: every method may be called from any thread at once. Calls block on disk.
// Errors: "db.*".
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/util/result.hpp"
#include "mail/smtp/server/decision_log.hpp"

namespace hearth::mail::filter {

// Field lengths kept: longer values are cut (a hostile client chooses its HELO and addresses).
inline constexpr std::size_t max_decision_field = 512;
inline constexpr std::size_t max_decision_rcpts = 100;

struct decision_query {
  std::string address;      // "" = any; else the sender or one of the recipients (exact, case-insensitive)
  std::string ip;           // "" = any; else the client's address (exact)
  std::int64_t before = 0;  // 0 = up to now; else only records older than this (paging)
  std::size_t limit = 100;  // at most this many, newest first (capped at 1000)
};

struct stored_decision : smtp::inbound_decision {
  std::int64_t seq = 0;  // the record's number, increasing (for paging and links)
};

class decision_store {
 public:
  virtual ~decision_store() = default;
  // Stores the records in one transaction (no fsync of its own: losing the last second of
  // them in a power cut costs nothing that was promised to anyone).
  virtual result<void> add(const std::vector<smtp::inbound_decision>& batch) = 0;
  // Newest first.
  virtual result<std::vector<stored_decision>> search(const decision_query& q) = 0;
  // Drops records older than `older_than` and the oldest beyond `keep_at_most`; how many went.
  virtual result<std::size_t> prune(std::int64_t older_than, std::size_t keep_at_most) = 0;
};

// Opens (creating and migrating) the store in `target`: a SQLite file path or a PostgreSQL
// URL, as sql::open takes. Errors: "db.*".
result<std::unique_ptr<decision_store>> open_decision_store(const std::string& target);

}  // namespace hearth::mail::filter
