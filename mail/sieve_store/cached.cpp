#include "mail/sieve_store/cached.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <utility>

#include "core/events/bus.hpp"
#include "core/util/memo.hpp"

namespace hearth::mail::sieve_store {

namespace {

constexpr const char* changed_topic = "sieve.changed";
constexpr const char* directory_topic = "directory.changed";

template <typename T>
using memo = util::memo<T>;

class cached_store final : public store {
 public:
  cached_store(store& inner, events::bus* bus, cache_limits limits)
      : store(inner.limits()), inner_(inner), bus_(bus), limits_(limits) {
    if (bus_) {
      sub_ = bus_->subscribe(changed_topic, [this](const events::event&) { forget(); });
      dir_sub_ = bus_->subscribe(directory_topic, [this](const events::event&) { forget(); });
    }
  }

  // ---- remembered lookups ----
  result<std::optional<script>> active(std::string_view account) override {
    return lookup(active_, account, [&] { return inner_.active(account); });
  }
  result<std::optional<std::string>> global_get(std::string_view name) override {
    return lookup(globals_, name, [&] { return inner_.global_get(name); });
  }

  // ---- changes: through, then everyone forgets ----
  result<void> put(std::string_view account, std::string_view name, std::string_view content) override {
    return changed(account, inner_.put(account, name, content));
  }
  result<void> set_active(std::string_view account, std::optional<std::string_view> name) override {
    return changed(account, inner_.set_active(account, name));
  }
  result<void> remove(std::string_view account, std::string_view name) override {
    return changed(account, inner_.remove(account, name));
  }
  result<void> rename(std::string_view account, std::string_view from, std::string_view to) override {
    return changed(account, inner_.rename(account, from, to));
  }
  result<void> global_put(std::string_view name, std::string_view content) override {
    return changed("", inner_.global_put(name, content));
  }
  result<void> global_remove(std::string_view name) override { return changed("", inner_.global_remove(name)); }

  // ---- not remembered ----
  result<std::vector<script_info>> list(std::string_view account) override { return inner_.list(account); }
  result<std::string> get(std::string_view account, std::string_view name) override {
    return inner_.get(account, name);
  }
  result<void> check_space(std::string_view account, std::string_view name, std::uint64_t size) override {
    return inner_.check_space(account, name, size);
  }
  result<std::vector<script_info>> global_list() override { return inner_.global_list(); }
  result<bool> remember(std::string_view account, std::string_view kind, std::string_view key, std::int64_t now,
                        std::int64_t period_seconds) override {
    return inner_.remember(account, kind, key, now, period_seconds);
  }
  result<bool> remembered(std::string_view account, std::string_view kind, std::string_view key,
                          std::int64_t now) override {
    return inner_.remembered(account, kind, key, now);
  }

 private:
  template <typename T, typename Ask>
  result<T> lookup(memo<T>& m, std::string_view key, Ask ask) {
    if (limits_.max_entries == 0) return ask();
    std::uint64_t generation;
    {
      // The stamp is looked at before the database is asked: a change committed after this
      // look appends to it after its commit, and the next lookup sees that.
      const auto seen = stamp_now();
      std::lock_guard lock(mu_);
      if (seen != stamp_seen_) {
        stamp_seen_ = seen;
        forget_locked();
      }
      if (const T* v = m.fresh(key, limits_.max_age)) return *v;
      generation = generation_;
    }
    result<T> value = ask();
    if (!value) return value;
    std::lock_guard lock(mu_);
    // A change that happened while we asked may not be in `value`: keep it out of the cache.
    if (generation == generation_) m.keep(key, *value, limits_.max_entries);
    return value;
  }

  void forget() {
    std::lock_guard lock(mu_);
    forget_locked();
  }
  void forget_locked() {
    ++generation_;
    active_.clear();
    globals_.clear();
  }

  result<void> changed(std::string_view account, result<void> r) {
    // Forgotten even when the change failed: it may have committed before failing, and a miss
    // costs only a lookup.
    forget();
    touch_stamp();
    if (bus_) bus_->publish({changed_topic, std::string(account), ""});
    return r;
  }

  // (inode, size) of the stamp file; zeros when there is none.
  std::pair<std::uint64_t, std::uint64_t> stamp_now() const {
    if (limits_.stamp.empty()) return {0, 0};
    struct stat st {};
    if (::stat(limits_.stamp.c_str(), &st) != 0) return {0, 0};
    return {static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(st.st_size)};
  }

  // One byte more: the size only grows, so no two changes look alike (a timestamp could: file
  // times move in clock ticks).
  void touch_stamp() const {
    if (limits_.stamp.empty()) return;
    const int fd = ::open(limits_.stamp.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;  // readers then rely on max_age
    (void)!::write(fd, "\n", 1);
    ::close(fd);
  }

  store& inner_;
  events::bus* bus_;
  cache_limits limits_;
  events::subscription sub_;
  events::subscription dir_sub_;
  std::mutex mu_;
  std::uint64_t generation_ = 0;
  std::pair<std::uint64_t, std::uint64_t> stamp_seen_{0, 0};
  memo<std::optional<script>> active_;
  memo<std::optional<std::string>> globals_;
};

}  // namespace

std::unique_ptr<store> make_cached(store& inner, events::bus* bus, cache_limits limits) {
  return std::make_unique<cached_store>(inner, bus, limits);
}

}  // namespace hearth::mail::sieve_store
