// An account the caller has just found in the directory, for the appends it makes on this
// thread while the scope lives. SMTP delivery finds each recipient account through SMTP's
// cached directory (an answer at most its age bound old, dropped at once by a change made
// through the console: HACKING "Inbound SMTP: where the CPU goes"); an append that would ask
// the directory again (store.hpp: APPEND and COPY always ask) takes that answer instead (the
// account exists, its quota), so a delivered copy costs no second directory statement. Only
// an append for exactly this address, on this thread, uses it; every other call asks as
// before. Scopes nest (the innermost naming the address wins); not copyable.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::mail {

class known_account_scope {
 public:
  // quota_bytes as the directory gives it (0 or less: no quota).
  known_account_scope(std::string_view address, std::int64_t quota_bytes)
      : address_(address), quota_(quota_bytes > 0 ? static_cast<std::uint64_t>(quota_bytes) : 0), outer_(innermost()) {
    innermost() = this;
  }
  ~known_account_scope() { innermost() = outer_; }
  known_account_scope(const known_account_scope&) = delete;
  known_account_scope& operator=(const known_account_scope&) = delete;

  // The innermost scope of this thread naming `address` (compared as given), or null.
  static const known_account_scope* find(std::string_view address) {
    for (auto* s = innermost(); s; s = s->outer_)
      if (s->address_ == address) return s;
    return nullptr;
  }

  std::uint64_t quota() const { return quota_; }  // 0 = none

 private:
  static const known_account_scope*& innermost() {
    static thread_local const known_account_scope* top = nullptr;
    return top;
  }

  std::string address_;
  std::uint64_t quota_;
  const known_account_scope* outer_;
};

}  // namespace hearth::mail
