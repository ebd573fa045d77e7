#include "directory/cached.hpp"

#include <mutex>
#include <string>

#include "core/events/bus.hpp"
#include "core/util/memo.hpp"

namespace hearth::directory {

namespace {

constexpr const char* changed_topic = "directory.changed";

// One kind of lookup's answers, by the argument as given.
template <typename T>
using memo = util::memo<T>;

class cached_directory final : public directory {
 public:
  cached_directory(directory& inner, events::bus* bus, cache_limits limits)
      : inner_(inner), bus_(bus), limits_(limits) {
    if (bus_) sub_ = bus_->subscribe(changed_topic, [this](const events::event&) { forget(); });
  }

  // ---- remembered lookups ----
  bool is_local_domain(std::string_view name) override {
    return remembered(domains_, name, [&] { return inner_.is_local_domain(name); });
  }
  std::optional<account> find_account(std::string_view address) override {
    return remembered(accounts_, address, [&] { return inner_.find_account(address); });
  }
  std::vector<std::string> resolve(std::string_view address) override {
    return remembered(resolved_, address, [&] { return inner_.resolve(address); });
  }

  // ---- changes: through, then everyone forgets ----
  result<domain> add_domain(std::string_view name) override { return changed(inner_.add_domain(name)); }
  result<void> remove_domain(std::string_view name) override { return changed(inner_.remove_domain(name)); }
  result<account> add_account(std::string_view address, const stored_credentials& creds,
                              std::string_view display_name, std::int64_t quota_bytes) override {
    return changed(inner_.add_account(address, creds, display_name, quota_bytes));
  }
  result<void> remove_account(std::string_view address) override { return changed(inner_.remove_account(address)); }
  result<void> set_disabled(std::string_view address, bool disabled) override {
    return changed(inner_.set_disabled(address, disabled));
  }
  result<void> set_admin(std::string_view address, bool admin) override {
    return changed(inner_.set_admin(address, admin));
  }
  result<void> set_display_name(std::string_view address, std::string_view display_name) override {
    return changed(inner_.set_display_name(address, display_name));
  }
  result<void> set_quota(std::string_view address, std::int64_t quota_bytes) override {
    return changed(inner_.set_quota(address, quota_bytes));
  }
  result<void> add_alias(std::string_view source, const std::vector<std::string>& targets) override {
    return changed(inner_.add_alias(source, targets));
  }
  result<void> remove_alias(std::string_view source, std::optional<std::string> target) override {
    return changed(inner_.remove_alias(source, std::move(target)));
  }

  // ---- not remembered: asked rarely, or must be current (credentials) ----
  std::vector<domain> domains() override { return inner_.domains(); }
  std::optional<domain> find_domain(std::string_view name) override { return inner_.find_domain(name); }
  result<void> set_credentials(std::string_view address, const stored_credentials& creds) override {
    return inner_.set_credentials(address, creds);
  }
  std::vector<account> accounts(std::optional<std::string> domain) override {
    return inner_.accounts(std::move(domain));
  }
  std::optional<stored_credentials> credentials(std::string_view address) override {
    return inner_.credentials(address);
  }
  result<app_password> add_app_password(std::string_view address, std::string_view name,
                                        const stored_credentials& creds) override {
    return inner_.add_app_password(address, name, creds);
  }
  result<void> revoke_app_password(std::string_view address, std::string_view name) override {
    return inner_.revoke_app_password(address, name);
  }
  std::vector<app_password> app_passwords(std::string_view address) override {
    return inner_.app_passwords(address);
  }
  result<void> touch_app_password(std::int64_t id) override { return inner_.touch_app_password(id); }
  result<void> remember_login_address(std::string_view address, std::string_view ip) override {
    return inner_.remember_login_address(address, ip);
  }
  bool is_login_address(std::string_view address, std::string_view ip) override {
    return inner_.is_login_address(address, ip);
  }
  std::vector<login_address> login_addresses(std::string_view address) override {
    return inner_.login_addresses(address);
  }
  result<void> add_login_event(std::string_view address, const login_event& e) override {
    return inner_.add_login_event(address, e);
  }
  std::vector<login_event> login_events(std::string_view address, std::size_t limit) override {
    return inner_.login_events(address, limit);
  }
  std::vector<alias> aliases(std::optional<std::string> domain) override { return inner_.aliases(std::move(domain)); }
  result<dkim_key> add_dkim_key(std::string_view domain, std::string_view selector, std::string_view algorithm,
                                std::string_view private_pem) override {
    return inner_.add_dkim_key(domain, selector, algorithm, private_pem);
  }
  std::vector<dkim_key> dkim_keys(std::string_view domain) override { return inner_.dkim_keys(domain); }

 private:
  template <typename T, typename Ask>
  T remembered(memo<T>& m, std::string_view key, Ask ask) {
    if (limits_.max_entries == 0) return ask();
    std::uint64_t generation;
    {
      std::lock_guard lock(mu_);
      if (const T* v = m.fresh(key, limits_.max_age)) return *v;
      generation = generation_;
    }
    T value = ask();
    std::lock_guard lock(mu_);
    // A change that happened while we asked may not be in `value`: keep it out of the cache.
    if (generation == generation_) m.keep(key, value, limits_.max_entries);
    return value;
  }

  void forget() {
    std::lock_guard lock(mu_);
    ++generation_;
    domains_.clear();
    accounts_.clear();
    resolved_.clear();
  }

  template <typename R>
  R changed(R r) {
    // Forgotten even when the change failed: it may have failed after committing part of it
    // elsewhere (another node), and a miss costs only a lookup.
    forget();
    if (bus_) bus_->publish({changed_topic, "", ""});
    return r;
  }

  directory& inner_;
  events::bus* bus_;
  cache_limits limits_;
  events::subscription sub_;
  std::mutex mu_;
  std::uint64_t generation_ = 0;
  memo<bool> domains_;
  memo<std::optional<account>> accounts_;
  memo<std::vector<std::string>> resolved_;
};

}  // namespace

std::unique_ptr<directory> make_cached(directory& inner, events::bus* bus, cache_limits limits) {
  return std::make_unique<cached_directory>(inner, bus, limits);
}

}  // namespace hearth::directory
