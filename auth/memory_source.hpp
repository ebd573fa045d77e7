// An in-memory credential_source for unit tests, the fuzzer and tools that have no directory.
// Names match ASCII case-insensitively. lookup() is thread-safe as long as nobody calls add()
// concurrently (fill it first, then share it).
#pragma once
#include "auth/credential_source.hpp"
#include "core/util/strings.hpp"

#include <map>

namespace hearth::auth {

class memory_source final : public credential_source {
 public:
  // Adds or replaces the account `rec.address`.
  void add(user_record rec) {
    std::string key = util::to_lower(rec.address);
    users_[key] = std::move(rec);
  }
  user_record* find(std::string_view address) {
    auto it = users_.find(util::to_lower(address));
    return it == users_.end() ? nullptr : &it->second;
  }
  std::optional<user_record> lookup(std::string_view username) override {
    auto it = users_.find(util::to_lower(username));
    if (it == users_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, user_record> users_;
};

}  // namespace hearth::auth
