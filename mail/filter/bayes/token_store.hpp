// Where the learning spam filter keeps what it learnt: per owner (an account address, or ""
// for the site-wide database) the number of trained spam and ham messages, the two counts of
// every token (by its 64-bit token_hash), and one record per trained message (keyed by the
// message's blob id, the SHA-256 of its bytes) with the class it was learnt as and its tokens,
// so that a message is never counted twice and can be unlearnt exactly, even once its blob
// is gone.
//
//   auto ts = bayes::open_token_store((data_dir / "spam.db").string()).value();
//   ts->learn({{"alice@home.test", blob_id, true, hashes, true}});  // spam, site-wide too
//   auto c = ts->lookup("alice@home.test", hashes);                  // user + site counts
//
// One implementation (token_store_sql.cpp) on core/sql: SQLite (DATA_DIR/spam.db) or PostgreSQL.
// Thread-safety: every method may be called from any thread (one connection per thread);
// several processes (`hearth serve` and `hearth spam train`) may share the database.
// Errors: "db.*" (core/sql/sql.hpp).
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/filter/bayes/classifier.hpp"

namespace hearth::mail::filter::bayes {

struct learn_item {
  std::string owner;    // account address, or "" for the site-wide database
  std::string message;  // the message's key: its blob id
  bool spam = true;
  std::vector<std::uint64_t> tokens;  // distinct token hashes
  bool also_site = false;  // a user's lesson counts in the site-wide database as well
};

enum class learn_outcome {
  learnt,   // new
  flipped,  // it had been learnt the other way: unlearnt, then learnt
  already,  // learnt the same way before: nothing changed
};

struct owner_stats {
  std::string owner;
  counts messages;            // trained spam and ham
  std::uint64_t tokens = 0;   // distinct tokens with a count
};

class token_store {
 public:
  virtual ~token_store() = default;
  // Trained messages of `owner` plus those of the site ("" alone when owner is "").
  virtual result<counts> totals(std::string_view owner) = 0;
  // Counts of each token, the owner's plus the site's, parallel to `tokens`.
  virtual result<std::vector<counts>> lookup(std::string_view owner, const std::vector<std::uint64_t>& tokens) = 0;
  // Learns every item in one transaction (a batch is much cheaper than one by one).
  virtual result<std::vector<learn_outcome>> learn(const std::vector<learn_item>& items) = 0;
  // Takes back a message learnt for `owner` (and from the site if it counted there).
  // Returns false when there was no such record.
  virtual result<bool> unlearn(std::string_view owner, std::string_view message) = 0;
  // Forgets everything `owner` learnt, its share of the site-wide counts included. Returns
  // the number of message records removed. owner "" empties the site-wide database, the
  // users' shares included (their own databases stay).
  virtual result<std::uint64_t> forget(std::string_view owner) = 0;
  // The owner's own numbers (not summed with the site's).
  virtual result<owner_stats> stats(std::string_view owner) = 0;
  virtual result<std::vector<std::string>> owners() = 0;
  // Whether `message` was learnt for `owner`, and how: 0 not learnt, 1 spam, 2 ham.
  virtual result<int> learnt_as(std::string_view owner, std::string_view message) = 0;
};

// Opens `target` (a SQLite file path, created if needed, or a PostgreSQL URL, as sql::open
// takes) and applies the "spam" migrations. Errors: "db.open", "db.schema_newer", "db.migration".
result<std::unique_ptr<token_store>> open_token_store(const std::string& target);

}  // namespace hearth::mail::filter::bayes
