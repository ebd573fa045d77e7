#include "xmpp/modules/push/proto/throttle.hpp"

namespace hearth::xmpp::push {

bool throttle::allow(const std::string& key, std::size_t waiting, std::int64_t now_us) {
  if (interval_us_ <= 0) return true;
  auto it = last_.find(key);
  // waiting <= 1: the client came back since the last notification (its count started again),
  // so this message is news to it whatever the clock says.
  if (waiting > 1 && it != last_.end() && now_us - it->second < interval_us_) return false;
  if (it != last_.end()) {
    it->second = now_us;
    return true;
  }
  if (last_.size() >= max_keys_) prune(now_us);
  last_.emplace(key, now_us);
  return true;
}

void throttle::prune(std::int64_t now_us) {
  // Entries older than the interval throttle nothing any more.
  for (auto it = last_.begin(); it != last_.end();)
    it = now_us - it->second >= interval_us_ ? last_.erase(it) : std::next(it);
  // Still full (a flood of distinct devices within one interval): forgetting them all costs at
  // most one extra notification each, while memory stays bounded.
  if (last_.size() >= max_keys_) last_.clear();
}

}  // namespace hearth::xmpp::push
