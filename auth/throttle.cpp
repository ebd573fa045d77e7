#include "auth/throttle.hpp"

#include "core/util/strings.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <list>
#include <mutex>
#include <unordered_map>

namespace hearth::auth {

std::string throttle_ip_key(std::string_view ip) {
  std::string s(ip.substr(0, 64));
  unsigned char a[16];
  if (s.find(':') != std::string::npos && inet_pton(AF_INET6, s.c_str(), a) == 1) {
    // An IPv4-mapped address (::ffff:a.b.c.d) is an IPv4 client: keep it whole.
    static constexpr unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(a, a + 12, mapped)) {
      char buf[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, a + 12, buf, sizeof buf);
      return std::string("ip:") + buf;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "ip:%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", a[0], a[1], a[2],
                  a[3], a[4], a[5], a[6], a[7]);
    return buf;
  }
  return "ip:" + s;
}

std::string throttle_address(std::string_view ip) { return throttle_ip_key(ip).substr(3); }

namespace {
std::string account_key(std::string_view account) {
  return "user:" + util::to_lower(account.substr(0, 512));
}
// What one address failed for one account.
std::string pair_key(std::string_view ip, std::string_view account) {
  return "pair:" + throttle_ip_key(ip) + "|" + util::to_lower(account.substr(0, 512));
}
}  // namespace

namespace {

class memory_state final : public throttle_state {
 public:
  explicit memory_state(std::size_t max_entries) : max_(std::max<std::size_t>(max_entries, 2)) {}

  std::optional<entry> get(const std::string& key, time_point since) override {
    std::lock_guard lock(mutex_);
    auto it = table_.find(key);
    if (it == table_.end()) return std::nullopt;
    expire(it->second.e, since);
    return it->second.e;
  }

  bool add_failure(const std::string& key, const failure& f) override {
    std::lock_guard lock(mutex_);
    entry& e = touch(key);
    expire(e, f.since);
    e.failures.push_back(f.now);
    while (e.failures.size() > f.keep) e.failures.erase(e.failures.begin());
    if (f.may_block && e.failures.size() >= f.keep && e.blocked_until <= f.now) {
      e.blocked_until = f.block_until;
      e.failures.clear();
      return true;
    }
    return false;
  }

  void forget(const std::string& key) override {
    std::lock_guard lock(mutex_);
    auto it = table_.find(key);
    if (it == table_.end()) return;
    lru_.erase(it->second.lru);
    table_.erase(it);
  }

  std::size_t size() override {
    std::lock_guard lock(mutex_);
    return table_.size();
  }

 private:
  struct slot {
    entry e;
    std::list<std::string>::iterator lru;
  };

  static void expire(entry& e, time_point since) {
    auto keep = std::find_if(e.failures.begin(), e.failures.end(), [&](auto t) { return t > since; });
    e.failures.erase(e.failures.begin(), keep);
  }

  entry& touch(const std::string& key) {
    auto it = table_.find(key);
    if (it != table_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.lru);
      return it->second.e;
    }
    // Bounded memory: evict the least recently used key. An attacker cycling through addresses
    // can evict a block this way, but only by spending max_entries fresh keys on it.
    while (table_.size() >= max_ && !lru_.empty()) {
      table_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(key);
    slot& s = table_[key];
    s.lru = lru_.begin();
    return s.e;
  }

  const std::size_t max_;
  std::mutex mutex_;
  std::unordered_map<std::string, slot> table_;
  std::list<std::string> lru_;  // most recently used first
};

}  // namespace

std::shared_ptr<throttle_state> make_memory_throttle_state(std::size_t max_entries) {
  return std::make_shared<memory_state>(max_entries);
}

throttle::throttle(throttle_config cfg, clock_fn now, std::shared_ptr<throttle_state> state)
    : cfg_(cfg), now_(std::move(now)), state_(std::move(state)) {
  if (!now_) now_ = [] { return clock::now(); };
  if (cfg_.max_entries < 2) cfg_.max_entries = 2;
  if (cfg_.block_after < 1) cfg_.block_after = 1;
  if (!state_) state_ = make_memory_throttle_state(cfg_.max_entries);
}

std::optional<throttle_state::entry> throttle::find(const std::string& key, clock::time_point now) {
  return state_->get(key, now - std::chrono::seconds(cfg_.window_seconds));
}

throttle::verdict throttle::judge(const std::optional<throttle_state::entry>& e, clock::time_point now) const {
  verdict v;
  if (!e) return v;
  if (e->blocked_until > now) {
    v.blocked = true;
    v.retry_after = std::chrono::ceil<std::chrono::seconds>(e->blocked_until - now);
    return v;
  }
  std::size_t n = e->failures.size();
  if (n >= cfg_.delay_after) {
    std::size_t step = std::min<std::size_t>(n - cfg_.delay_after, 3);  // 1, 2, 4, 8 s
    v.delay = std::chrono::milliseconds(1000L << step);
  }
  return v;
}

bool throttle::account_limited(std::string_view account) {
  if (account.empty()) return false;
  auto now = now_();
  verdict v = judge(find(account_key(account), now), now);
  return v.blocked || v.delay.count() > 0;
}

throttle::verdict throttle::check(std::string_view ip, std::string_view account, bool known_address) {
  auto now = now_();
  verdict v = judge(find(throttle_ip_key(ip), now), now);
  if (v.blocked || v.delay.count() > 0) v.by = scope::ip;
  if (account.empty() || known_address) return v;
  verdict a = judge(find(account_key(account), now), now);
  if (a.blocked) {
    auto pair = find(pair_key(ip, account), now);
    if (pair && !pair->failures.empty()) {
      if (!v.blocked || a.retry_after > v.retry_after) {
        v.retry_after = a.retry_after;
        v.by = scope::account;
      }
      v.blocked = true;
      return v;
    }
    // An address that has not failed for this account: the longest delay, not a refusal.
    a.blocked = false;
    a.retry_after = {};
    a.delay = std::chrono::milliseconds(8000);
  }
  if (!v.blocked && a.delay > v.delay) {
    v.delay = a.delay;
    v.by = scope::account;
  }
  return v;
}

throttle::started throttle::record_failure(std::string_view ip, std::string_view account) {
  auto now = now_();
  auto add = [&](const std::string& key, bool may_block) {
    throttle_state::failure f;
    f.now = now;
    f.since = now - std::chrono::seconds(cfg_.window_seconds);
    f.keep = cfg_.block_after;
    f.may_block = may_block;
    // A fresh start after the block (the state forgets the failures): otherwise the first
    // failure after expiry re-blocks.
    f.block_until = now + std::chrono::seconds(cfg_.block_seconds);
    return state_->add_failure(key, f);
  };
  started out;
  out.ip = add(throttle_ip_key(ip), true);
  if (!account.empty()) {
    out.account = add(account_key(account), true);
    // The pair only remembers that this address failed for the account; its failures are
    // kept through the account's block (they are what refuses this address then).
    add(pair_key(ip, account), false);
  }
  return out;
}

void throttle::record_success(std::string_view ip, std::string_view account) {
  state_->forget(pair_key(ip, account));
}

std::size_t throttle::size() const { return state_->size(); }

}  // namespace hearth::auth
