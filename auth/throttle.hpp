// Login throttling: failures are counted per remote IP and per account name in a sliding
// window. After delay_after failures every answer (success or failure: a fast success would
// let a guesser stop waiting early) is delayed 1 s, 2 s, 4 s, then 8 s; after block_after
// failures the key is refused for block_seconds without checking the password.
//
// The IP count is the per-address penalty (Dovecot's auth_penalty, Postfix's anvil): it applies
// to every login from that address. The account count must not let a stranger lock the owner
// out, so it applies only to the addresses that failed: an address known to have logged in to
// the account before (the caller says so: the authenticator remembers them persistently) is
// never delayed or refused because of the account's count; while the account is blocked, an
// address that failed for it in the window is refused and any other address gets the longest
// delay (a guesser spreading over many addresses still gets one slow guess per address).
//
// Keys: the IP as given, except IPv6 addresses, which count per /64 (one host usually owns a
// whole /64); the account name ASCII-lowercased. Counting by name, not by existing account,
// means a block says nothing about whether the account exists.
//
// The counts live in a throttle_state: in memory for one node (the default; at most
// max_entries keys, least recently used evicted first), or in the database when several nodes
// share one (sql_throttle_state.hpp), so that a guesser spreading over the nodes meets one
// count. Thread-safe.
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::auth {

// Where the throttle keeps its counts, by key ("ip:...", "user:...", "pair:..."). Times are
// wall-clock (system_clock), so that they mean the same on every node that shares them.
// Thread-safe. The calls return no errors: a store that fails logs it and answers as if the key
// were unknown (a login still needs its password; the throttle only slows guessing).
class throttle_state {
 public:
  using time_point = std::chrono::system_clock::time_point;
  struct entry {
    std::vector<time_point> failures;  // inside the window, oldest first
    time_point blocked_until{};
  };
  struct failure {
    time_point now;
    time_point since;        // failures at or before this have left the window
    std::size_t keep = 1;    // at most this many newest failures are kept
    bool may_block = false;  // with `keep` failures the key is blocked until block_until...
    time_point block_until;  // ...unless already blocked; its failures are then forgotten
  };
  virtual ~throttle_state() = default;
  // The key's failures after `since` and its block; nullopt when the key has neither.
  virtual std::optional<entry> get(const std::string& key, time_point since) = 0;
  // Records one failure as `f` says, in one step (no other node's failure of the same key
  // interleaves). Returns true when this failure started a block.
  virtual bool add_failure(const std::string& key, const failure& f) = 0;
  virtual void forget(const std::string& key) = 0;
  // Keys held (tests).
  virtual std::size_t size() = 0;
};

// One node's counts in memory, at most max_entries keys (least recently used evicted first).
std::shared_ptr<throttle_state> make_memory_throttle_state(std::size_t max_entries);

struct throttle_config {
  unsigned delay_after = 3;
  unsigned block_after = 10;
  unsigned block_seconds = 900;
  unsigned window_seconds = 900;
  std::size_t max_entries = 100'000;
};

class throttle {
 public:
  // Wall-clock: the counts may be shared by nodes on several machines (throttle_state).
  using clock = std::chrono::system_clock;
  using clock_fn = std::function<clock::time_point()>;

  // clock: injectable for tests; defaults to system_clock::now. state: where the counts live;
  // null: in memory, at most cfg.max_entries keys.
  explicit throttle(throttle_config cfg, clock_fn now = {}, std::shared_ptr<throttle_state> state = {});

  enum class scope { none, ip, account };

  struct verdict {
    bool blocked = false;
    std::chrono::milliseconds delay{0};  // wait this long before answering
    std::chrono::seconds retry_after{0};  // when blocked: how long until the block ends
    scope by = scope::none;               // which count blocked (or delayed) the login
  };

  // Whether the account's own count currently delays or blocks anyone: only then does the
  // caller need to find out whether the address is known (a database read).
  bool account_limited(std::string_view account);

  // Before checking a password: is this IP or account blocked, and how long to delay the answer.
  // account may be "" when not yet known (only the IP is checked then). known_address: the
  // address has logged in to this account before (see above).
  verdict check(std::string_view ip, std::string_view account, bool known_address = false);

  // After a wrong password. Returns which blocks this failure started.
  struct started {
    bool ip = false;
    bool account = false;
  };
  started record_failure(std::string_view ip, std::string_view account);

  // After a right password: forgets what this address failed for this account. Neither the
  // IP's count (one known password must not reset a guesser's count for other accounts) nor
  // the account's (the owner logging in must not reset a guesser's count elsewhere).
  void record_success(std::string_view ip, std::string_view account);

  std::size_t size() const;  // number of keys held (tests)
  const throttle_config& config() const { return cfg_; }

 private:
  std::optional<throttle_state::entry> find(const std::string& key, clock::time_point now);
  verdict judge(const std::optional<throttle_state::entry>& e, clock::time_point now) const;

  throttle_config cfg_;
  clock_fn now_;
  std::shared_ptr<throttle_state> state_;
};

// "ip:" + address (IPv6 reduced to its /64 prefix) — exposed for tests.
std::string throttle_ip_key(std::string_view ip);
// The same without "ip:": how the login history names a client address.
std::string throttle_address(std::string_view ip);

}  // namespace hearth::auth
