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
// Thread-safe (one mutex). Memory is bounded: at most max_entries keys, least recently used
// evicted first.
#pragma once
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hearth::auth {

struct throttle_config {
  unsigned delay_after = 3;
  unsigned block_after = 10;
  unsigned block_seconds = 900;
  unsigned window_seconds = 900;
  std::size_t max_entries = 100'000;
};

class throttle {
 public:
  using clock = std::chrono::steady_clock;
  using clock_fn = std::function<clock::time_point()>;

  // clock: injectable for tests; defaults to steady_clock::now.
  explicit throttle(throttle_config cfg, clock_fn now = {});

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
  struct entry {
    std::deque<clock::time_point> failures;  // within the window, oldest first, <= block_after
    clock::time_point blocked_until{};
    std::list<std::string>::iterator lru;
  };
  entry* find(const std::string& key, clock::time_point now);
  entry& touch(const std::string& key);
  void expire(entry& e, clock::time_point now) const;
  verdict judge(entry* e, clock::time_point now) const;

  throttle_config cfg_;
  clock_fn now_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry> table_;
  std::list<std::string> lru_;  // most recently used first
};

// "ip:" + address (IPv6 reduced to its /64 prefix) — exposed for tests.
std::string throttle_ip_key(std::string_view ip);
// The same without "ip:": how the login history names a client address.
std::string throttle_address(std::string_view ip);

}  // namespace hearth::auth
