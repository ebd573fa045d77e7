#include "core/pg/notify_channel.hpp"

#include <optional>

#include "core/log/log.hpp"
#include "core/pg/pg.hpp"

namespace hearth::pg {

namespace {
constexpr std::chrono::milliseconds listen_slice{250};
}  // namespace

std::string channel_name(std::string_view prefix, std::string_view id) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static const char* hex = "0123456789abcdef";
  std::string out(prefix);
  for (int i = 15; i >= 0; --i) out += hex[(h >> (i * 4)) & 0xf];
  return out;
}

notify_channel::notify_channel(notify_channel_options o) : o_(std::move(o)) {}

notify_channel::~notify_channel() { stop(); }

void notify_channel::start(receiver r) {
  std::lock_guard lk(m_);
  if (listener_.joinable() || stopping_) return;
  r_ = std::move(r);
  listener_ = std::thread([this] { listen_loop(); });
  sender_ = std::thread([this] { send_loop(); });
}

void notify_channel::stop() {
  {
    std::lock_guard lk(m_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (listener_.joinable()) listener_.join();
  if (sender_.joinable()) sender_.join();
}

bool notify_channel::send(std::string channel, std::string payload) {
  {
    std::lock_guard lk(m_);
    if (stopping_) return false;
    if (queue_.size() >= o_.max_queued) {
      // Newest dropped rather than oldest: what is queued is already older than the client's
      // patience, and the log says how many went.
      if (dropped_++ % 1000 == 0)
        log::warn("pg.notify.dropped", {{"channel", channel}, {"reason", "queue full"}, {"dropped", std::uint64_t(dropped_)}});
      return false;
    }
    queue_.emplace_back(std::move(channel), std::move(payload));
  }
  cv_.notify_all();
  return true;
}

bool notify_channel::pause(std::chrono::milliseconds d) {
  std::unique_lock lk(m_);
  return !cv_.wait_for(lk, d, [&] { return stopping_; });
}

void notify_channel::listen_loop() {
  std::optional<connection> c;
  auto backoff = o_.min_backoff;
  for (;;) {
    {
      std::lock_guard lk(m_);
      if (stopping_) return;
    }
    if (!c) {
      auto nc = connection::open(o_.url);
      if (nc) {
        if (auto l = nc->listen(o_.channel); !l) log::warn("pg.notify.listen", {{"channel", o_.channel}, {"error", l.error().message}});
        else c.emplace(std::move(*nc));
      } else {
        log::warn("pg.notify.listen", {{"channel", o_.channel}, {"error", nc.error().message}});
      }
      if (!c) {
        if (!pause(backoff)) return;
        backoff = std::min(o_.max_backoff, backoff * 2);
        continue;
      }
      backoff = o_.min_backoff;
      listener_pid_ = c->backend_pid();
    }
    auto got = c->wait_notifications(listen_slice);
    if (!got) {
      log::warn("pg.notify.disconnected", {{"channel", o_.channel}, {"error", got.error().message}});
      c.reset();
      listener_pid_ = 0;
      continue;
    }
    for (auto& n : *got)
      if (r_) r_(std::move(n.payload));
  }
}

void notify_channel::send_loop() {
  std::optional<connection> c;
  auto backoff = o_.min_backoff;
  for (;;) {
    std::pair<std::string, std::string> item;
    {
      std::unique_lock lk(m_);
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    if (!c) {
      auto nc = connection::open(o_.url);
      if (!nc) {
        dropped_ += 1;
        log::warn("pg.notify.dropped", {{"channel", item.first}, {"reason", "database unreachable"}, {"error", nc.error().message}});
        if (!pause(backoff)) return;
        backoff = std::min(o_.max_backoff, backoff * 2);
        continue;
      }
      c.emplace(std::move(*nc));
      backoff = o_.min_backoff;
    }
    if (auto r = c->notify(item.first, item.second); !r) {
      dropped_ += 1;
      log::warn("pg.notify.dropped", {{"channel", item.first}, {"reason", "notify failed"}, {"error", r.error().message}});
      c.reset();
    }
  }
}

}  // namespace hearth::pg
