#include "core/dns/answer_cache.hpp"

#include <algorithm>

namespace hearth::dns {

std::string answer_cache::key(std::string_view name, int type) {
  std::string k = std::to_string(type);
  k.push_back(' ');
  k.append(name);
  return k;
}

std::optional<cached_answer> answer_cache::get(std::string_view name, int type, clock::time_point now) {
  const auto k = key(name, type);
  std::lock_guard lock(mu_);
  auto it = map_.find(k);
  if (it == map_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    map_.erase(it);
    return std::nullopt;
  }
  return it->second.answer;
}

void answer_cache::put(std::string_view name, int type, const cached_answer& a, std::int64_t ttl_seconds,
                       clock::time_point now) {
  std::chrono::seconds cap;
  switch (a.st) {
    case status::ok: cap = limits_.max_ttl; break;
    case status::nxdomain:
    case status::nodata: cap = limits_.max_negative_ttl; break;
    default: return;  // temporary, bogus: the next query must ask again
  }
  if (ttl_seconds <= 0 || limits_.max_entries == 0) return;
  const auto ttl = std::min<std::chrono::seconds>(std::chrono::seconds(ttl_seconds), cap);
  if (ttl.count() <= 0) return;
  auto k = key(name, type);
  std::lock_guard lock(mu_);
  if (map_.size() >= limits_.max_entries && !map_.count(k)) {
    std::erase_if(map_, [now](const auto& kv) { return kv.second.expires <= now; });
    if (map_.size() >= limits_.max_entries) map_.clear();
  }
  map_.insert_or_assign(std::move(k), entry{a, now + ttl});
}

std::size_t answer_cache::size() const {
  std::lock_guard lock(mu_);
  return map_.size();
}

}  // namespace hearth::dns
