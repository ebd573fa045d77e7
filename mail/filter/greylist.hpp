// Greylisting, after OpenBSD spamd -G passtime:greyexp:whiteexp and postgrey.
//
// A delivery attempt is the triplet (client network, sender, recipient), the network being the
// client's /24 (IPv4) or /64 (IPv6) so that a sender's retry from a neighbour address counts.
//   - unknown triplet (or its grey entry expired): 451 4.7.1, remembered as grey for greyexp;
//   - retry before passtime: 451 4.7.1 again (the entry keeps its first time);
//   - retry after passtime and before greyexp: passes, the triplet is white for whiteexp
//     (renewed at each later pass);
//   - once a sender domain passed from one host of a provider pool (the forward-confirmed PTR
//     name without its first label, e.g. "outbound.example.net"), mail of that domain from any
//     other host of that pool passes at once (big providers retry from other addresses).
// The state lives in the database (component "greylist" of DATA_DIR/hearth.db, or the
// PostgreSQL database that several nodes share) so it survives restarts; greylist is what the
// filter needs of it, and its one implementation (greylist_sql.cpp) is written on core/sql.
// The clock is a parameter: every call takes `now` (Unix seconds), which is what the unit
// tests inject. Blocking: call from the blocking pool. Thread-safe (one connection per thread).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::mail::filter {

struct greylist_times {
  std::int64_t passtime = 3 * 60;         // seconds before a retry passes
  std::int64_t greyexp = 4 * 3600;        // seconds a grey entry waits for its retry
  std::int64_t whiteexp = 36 * 24 * 3600; // seconds a passed triplet (or pool) stays white
};

struct greylist_request {
  std::string network;  // network_key(ip): "192.0.2.0/24", "2001:db8:1:2::/64"
  std::string sender;   // envelope sender, lowercase ("" for the null sender)
  std::string rcpt;     // recipient, lowercase
  std::string pool;     // provider pool of the client ("" when unknown: no PTR, not confirmed)
};

enum class grey_outcome {
  first,        // new triplet: delayed
  early,        // retried before passtime: delayed
  passed,       // retried after passtime: passes now, white from now on
  white,        // a white triplet: passes
  pool,         // the sender domain passed from the same provider pool: passes
};
const char* outcome_name(grey_outcome o);
inline bool delayed(grey_outcome o) { return o == grey_outcome::first || o == grey_outcome::early; }

struct grey_result {
  grey_outcome outcome = grey_outcome::first;
  std::int64_t wait = 0;  // delayed: seconds until a retry can pass
};

// The sender as greylisting keys it (after postgrey): lowercase, a BATV tag ("prvs=TAG=" or
// "btv1==TAG==" before the local part, RFC-less but common) removed, and every run of digits in
// the local part replaced by "#", so VERP and bounce addresses that change at each retry
// ("list-bounces+1234@", "bounce-98765-7@") count as one sender.
std::string normalize_sender(std::string_view sender);

// The domain part of an address (lowercase), "" for the null sender or no '@'.
std::string sender_domain(std::string_view sender);

// One remembered triplet, for the admin console: grey (waiting for its retry) or white.
struct grey_entry {
  std::string network, sender, rcpt;
  std::int64_t first_seen = 0, expires = 0;
  bool passed = false;
};

class greylist {
 public:
  virtual ~greylist() = default;
  // Opens the state in `target` (a SQLite file path or a PostgreSQL URL, as sql::open takes)
  // and runs the migrations of component "greylist". Errors: "db.*".
  static result<std::shared_ptr<greylist>> open(const std::string& target, greylist_times times);

  // One attempt at `now`, decided and recorded in one transaction (two nodes that see the
  // same triplet at once do not both take it for new). Errors: "db.*" (the caller lets the
  // mail pass rather than block it).
  virtual result<grey_result> check(const greylist_request& r, std::int64_t now) = 0;
  // The unexpired triplets at `now`, most recently first seen first, at most `limit`.
  // Errors: "db.*".
  virtual result<std::vector<grey_entry>> entries(std::int64_t now, std::size_t limit) = 0;
  // Deletes expired entries; returns how many. check() calls it now and then.
  virtual result<int> purge(std::int64_t now) = 0;

  const greylist_times& times() const { return times_; }

 protected:
  explicit greylist(greylist_times t) : times_(t) {}
  greylist_times times_;
};

}  // namespace hearth::mail::filter
