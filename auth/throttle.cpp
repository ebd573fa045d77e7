#include "auth/throttle.hpp"

#include "core/util/strings.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

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

throttle::throttle(throttle_config cfg, clock_fn now) : cfg_(cfg), now_(std::move(now)) {
  if (!now_) now_ = [] { return clock::now(); };
  if (cfg_.max_entries < 2) cfg_.max_entries = 2;
  if (cfg_.block_after < 1) cfg_.block_after = 1;
}

void throttle::expire(entry& e, clock::time_point now) const {
  auto window = std::chrono::seconds(cfg_.window_seconds);
  while (!e.failures.empty() && e.failures.front() + window <= now) e.failures.pop_front();
}

throttle::entry* throttle::find(const std::string& key, clock::time_point now) {
  auto it = table_.find(key);
  if (it == table_.end()) return nullptr;
  expire(it->second, now);
  return &it->second;
}

throttle::entry& throttle::touch(const std::string& key) {
  auto it = table_.find(key);
  if (it != table_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second;
  }
  // Bounded memory: evict the least recently used key. An attacker cycling through addresses
  // can evict a block this way, but only by spending max_entries fresh keys on it.
  while (table_.size() >= cfg_.max_entries && !lru_.empty()) {
    table_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(key);
  entry& e = table_[key];
  e.lru = lru_.begin();
  return e;
}

throttle::verdict throttle::judge(entry* e, clock::time_point now) const {
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
  std::lock_guard lock(mutex_);
  auto now = now_();
  verdict v = judge(find(account_key(account), now), now);
  return v.blocked || v.delay.count() > 0;
}

throttle::verdict throttle::check(std::string_view ip, std::string_view account, bool known_address) {
  std::lock_guard lock(mutex_);
  auto now = now_();
  verdict v = judge(find(throttle_ip_key(ip), now), now);
  if (v.blocked || v.delay.count() > 0) v.by = scope::ip;
  if (account.empty() || known_address) return v;
  verdict a = judge(find(account_key(account), now), now);
  if (a.blocked) {
    entry* pair = find(pair_key(ip, account), now);
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
  std::lock_guard lock(mutex_);
  auto now = now_();
  auto add = [&](const std::string& key, bool may_block) {
    entry& e = touch(key);
    expire(e, now);
    e.failures.push_back(now);
    while (e.failures.size() > cfg_.block_after) e.failures.pop_front();
    if (may_block && e.failures.size() >= cfg_.block_after && e.blocked_until <= now) {
      e.blocked_until = now + std::chrono::seconds(cfg_.block_seconds);
      // A fresh start after the block: otherwise the first failure after expiry re-blocks.
      e.failures.clear();
      return true;
    }
    return false;
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
  std::lock_guard lock(mutex_);
  auto it = table_.find(pair_key(ip, account));
  if (it == table_.end()) return;
  lru_.erase(it->second.lru);
  table_.erase(it);
}

std::size_t throttle::size() const {
  std::lock_guard lock(mutex_);
  return table_.size();
}

}  // namespace hearth::auth
