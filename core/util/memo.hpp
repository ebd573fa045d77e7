// Answers remembered by key, each with the moment it was fetched: the part shared by the
// caches in front of SMTP's per-message lookups (directory/cached.hpp,
// mail/sieve_store/cached.hpp). Not thread-safe: its owner holds its own lock around it, and
// decides how old an answer may be.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hearth::util {

template <typename T>
class memo {
 public:
  using clock = std::chrono::steady_clock;

  // The value kept for `key` if it was fetched less than `max_age` ago, else null.
  const T* fresh(std::string_view key, std::chrono::milliseconds max_age) const {
    auto it = map_.find(std::string(key));
    if (it == map_.end() || clock::now() - it->second.at >= max_age) return nullptr;
    return &it->second.value;
  }
  // Keeps `value` for `key` as fetched now; a memo holding `max_entries` is emptied first.
  void keep(std::string_view key, T value, std::size_t max_entries) {
    if (map_.size() >= max_entries) map_.clear();
    map_.insert_or_assign(std::string(key), entry{std::move(value), clock::now()});
  }
  void clear() { map_.clear(); }

 private:
  struct entry {
    T value;
    clock::time_point at;
  };
  std::unordered_map<std::string, entry> map_;
};

}  // namespace hearth::util
