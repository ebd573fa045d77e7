#include "core/events/bus.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace hearth::events {

namespace detail {

struct entry {
  std::string topic, key;
  bool keyed = false;
  std::function<void(const event&)> fn;
  std::mutex m;
  std::condition_variable cv;
  bool active = true;
  std::vector<std::thread::id> running;  // threads inside fn right now

  std::size_t running_elsewhere() const {
    auto self = std::this_thread::get_id();
    return static_cast<std::size_t>(std::count_if(running.begin(), running.end(), [&](auto id) { return id != self; }));
  }
};

using entries = std::vector<std::shared_ptr<entry>>;

struct bus_state {
  mutable std::mutex m;
  std::map<std::string, entries, std::less<>> by_topic;
  std::map<std::pair<std::string, std::string>, entries> by_key;
  std::shared_ptr<transport> remote;  // null: this node only
};

}  // namespace detail

namespace {

void erase_entry(detail::entries& v, const detail::entry* e) {
  v.erase(std::remove_if(v.begin(), v.end(), [&](const auto& p) { return p.get() == e; }), v.end());
}

// Marks a call as running for the duration of fn, so that reset() on another thread waits.
class running_guard {
 public:
  explicit running_guard(detail::entry& e) : e_(e) {}
  ~running_guard() {
    std::lock_guard lk(e_.m);
    auto it = std::find(e_.running.begin(), e_.running.end(), std::this_thread::get_id());
    if (it != e_.running.end()) e_.running.erase(it);
    e_.cv.notify_all();
  }

 private:
  detail::entry& e_;
};

}  // namespace

subscription& subscription::operator=(subscription&& o) noexcept {
  if (this != &o) {
    reset();
    state_ = std::move(o.state_);
    entry_ = std::move(o.entry_);
  }
  return *this;
}

void subscription::reset() {
  if (!entry_) return;
  if (auto s = state_.lock()) {
    std::lock_guard lk(s->m);
    if (entry_->keyed) {
      auto it = s->by_key.find({entry_->topic, entry_->key});
      if (it != s->by_key.end()) {
        erase_entry(it->second, entry_.get());
        if (it->second.empty()) s->by_key.erase(it);
      }
    } else {
      auto it = s->by_topic.find(entry_->topic);
      if (it != s->by_topic.end()) {
        erase_entry(it->second, entry_.get());
        if (it->second.empty()) s->by_topic.erase(it);
      }
    }
  }
  {
    std::unique_lock lk(entry_->m);
    entry_->active = false;
    entry_->cv.wait(lk, [&] { return entry_->running_elsewhere() == 0; });
  }
  entry_.reset();
  state_.reset();
}

bus::bus() : state_(std::make_shared<detail::bus_state>()) {}

subscription bus::subscribe(std::string topic, std::function<void(const event&)> fn) {
  auto e = std::make_shared<detail::entry>();
  e->topic = std::move(topic);
  e->fn = std::move(fn);
  {
    std::lock_guard lk(state_->m);
    state_->by_topic[e->topic].push_back(e);
  }
  return subscription(state_, std::move(e));
}

subscription bus::subscribe(std::string topic, std::string key, std::function<void(const event&)> fn) {
  auto e = std::make_shared<detail::entry>();
  e->topic = std::move(topic);
  e->key = std::move(key);
  e->keyed = true;
  e->fn = std::move(fn);
  {
    std::lock_guard lk(state_->m);
    state_->by_key[{e->topic, e->key}].push_back(e);
  }
  return subscription(state_, std::move(e));
}

namespace {

// Calls e's callback unless it was unsubscribed since the caller's snapshot. True if called.
bool call(detail::entry& e, const event& ev) {
  {
    std::lock_guard lk(e.m);
    if (!e.active) return false;
    e.running.push_back(std::this_thread::get_id());
  }
  running_guard guard(e);
  e.fn(ev);
  return true;
}

std::size_t publish_here(const detail::bus_state& s, const event& ev) {
  detail::entries targets;
  {
    std::lock_guard lk(s.m);
    if (auto it = s.by_topic.find(ev.topic); it != s.by_topic.end()) targets = it->second;
    if (auto it = s.by_key.find({ev.topic, ev.key}); it != s.by_key.end())
      targets.insert(targets.end(), it->second.begin(), it->second.end());
  }
  std::size_t called = 0;
  for (const auto& e : targets) called += call(*e, ev) ? 1 : 0;
  return called;
}

std::size_t resync_here(const detail::bus_state& s) {
  detail::entries targets;
  {
    std::lock_guard lk(s.m);
    for (const auto& [topic, v] : s.by_topic) targets.insert(targets.end(), v.begin(), v.end());
    for (const auto& [k, v] : s.by_key) targets.insert(targets.end(), v.begin(), v.end());
  }
  std::size_t called = 0;
  for (const auto& e : targets) {
    event ev{e->topic, e->keyed ? e->key : std::string(), std::string(), true};
    called += call(*e, ev) ? 1 : 0;
  }
  return called;
}

}  // namespace

std::size_t bus::publish(const event& ev) const {
  std::shared_ptr<transport> remote;
  {
    std::lock_guard lk(state_->m);
    remote = state_->remote;
  }
  // Sent before the local callbacks run: they may be slow, and the other nodes' sessions wait.
  if (remote) remote->send(ev);
  return publish_here(*state_, ev);
}

std::optional<transport::notification> bus::carry(const event& ev) const {
  std::shared_ptr<transport> remote;
  {
    std::lock_guard lk(state_->m);
    remote = state_->remote;
  }
  if (!remote) return std::nullopt;
  return remote->carry(ev);
}

std::size_t bus::publish_carried(const event& ev) const { return publish_here(*state_, ev); }

std::size_t bus::resync() const { return resync_here(*state_); }

void bus::attach(std::shared_ptr<transport> t) {
  detach();
  std::weak_ptr<detail::bus_state> w = state_;
  transport::receiver r;
  r.deliver = [w](const event& ev) {
    if (auto s = w.lock()) {
      if (ev.resync) resync_here(*s);
      else publish_here(*s, ev);
    }
  };
  r.resync = [w] {
    if (auto s = w.lock()) resync_here(*s);
  };
  t->start(std::move(r));
  std::lock_guard lk(state_->m);
  state_->remote = std::move(t);
}

void bus::detach() {
  std::shared_ptr<transport> t;
  {
    std::lock_guard lk(state_->m);
    t = std::move(state_->remote);
  }
  if (t) t->stop();
}

bus::~bus() { detach(); }

std::size_t bus::subscribers(std::string_view topic) const {
  std::lock_guard lk(state_->m);
  std::size_t n = 0;
  if (auto it = state_->by_topic.find(topic); it != state_->by_topic.end()) n += it->second.size();
  for (auto it = state_->by_key.lower_bound({std::string(topic), std::string()});
       it != state_->by_key.end() && it->first.first == topic; ++it)
    n += it->second.size();
  return n;
}

}  // namespace hearth::events
