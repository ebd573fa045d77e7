// An in-memory credential_source for unit tests, the fuzzer and tools that have no directory.
// Names match ASCII case-insensitively. lookup() is thread-safe as long as nobody calls add()
// concurrently (fill it first, then share it).
#pragma once
#include "auth/credential_source.hpp"
#include "core/util/strings.hpp"

#include <map>
#include <mutex>
#include <set>
#include <tuple>
#include <vector>

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
  bool known_address(std::string_view username, std::string_view ip) override {
    std::lock_guard lock(mutex_);
    return addresses_.count({util::to_lower(username), std::string(ip)}) > 0;
  }
  void remember_address(const user_record& user, std::string_view ip) noexcept override {
    std::lock_guard lock(mutex_);
    addresses_.insert({util::to_lower(user.address), std::string(ip)});
  }
  void login_event(std::string_view username, std::string_view ip, std::string_view proto,
                   std::string_view event) noexcept override {
    std::lock_guard lock(mutex_);
    if (find(username))
      events.emplace_back(util::to_lower(username), std::string(ip), std::string(proto), std::string(event));
  }

  // (account, ip, proto, event) in the order they came, for tests.
  std::vector<std::tuple<std::string, std::string, std::string, std::string>> events;

 private:
  std::map<std::string, user_record> users_;
  std::mutex mutex_;  // the login history below
  std::set<std::pair<std::string, std::string>> addresses_;
};

}  // namespace hearth::auth
