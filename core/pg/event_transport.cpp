#include "core/pg/event_transport.hpp"

#include <algorithm>
#include <optional>
#include <random>
#include <vector>

#include "core/events/wire.hpp"
#include "core/log/log.hpp"
#include "core/pg/pg.hpp"

namespace hearth::pg {

namespace {

constexpr std::chrono::milliseconds listen_slice{250};

std::string random_origin() {
  std::random_device rd;
  std::uint64_t r = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i, r >>= 4) out += hex[r & 0xf];
  return out;
}

std::chrono::milliseconds next_backoff(std::chrono::milliseconds d, const event_transport_options& o) {
  return std::min(o.max_backoff, std::max(o.min_backoff, d * 2));
}

}  // namespace

event_transport::event_transport(event_transport_options o) : o_(std::move(o)), origin_(random_origin()) {}

event_transport::~event_transport() { stop(); }

void event_transport::start(receiver r) {
  std::lock_guard lk(m_);
  if (listener_.joinable() || stopping_) return;
  r_ = std::move(r);
  listener_ = std::thread([this] { listen_loop(); });
  sender_ = std::thread([this] { send_loop(); });
}

void event_transport::stop() {
  {
    std::lock_guard lk(m_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (listener_.joinable()) listener_.join();
  if (sender_.joinable()) sender_.join();
}

void event_transport::send(const events::event& e) {
  {
    std::lock_guard lk(m_);
    if (stopping_) return;
    if (queue_.size() >= o_.max_queued) {
      queue_.pop_front();
      lost_ = true;
    }
    queue_.push_back(e);
  }
  cv_.notify_all();
}

std::optional<events::transport::notification> event_transport::carry(const events::event& e) {
  auto p = events::wire::encode(origin_, e);
  if (!p) return std::nullopt;
  return notification{o_.channel, std::move(*p)};
}

bool event_transport::idle() const {
  std::lock_guard lk(m_);
  return queue_.empty() && !sending_ && !lost_;
}

bool event_transport::pause(std::chrono::milliseconds d) {
  std::unique_lock lk(m_);
  return !cv_.wait_for(lk, d, [&] { return stopping_; });
}

void event_transport::listen_loop() {
  std::optional<connection> c;
  auto backoff = o_.min_backoff;
  bool was_connected = false;
  for (;;) {
    {
      std::lock_guard lk(m_);
      if (stopping_) return;
    }
    if (!c) {
      auto nc = connection::open(o_.url);
      if (nc) {
        if (auto l = nc->listen(o_.channel); !l) {
          log::warn("bus.listen", {{"error", l.error().message}});
        } else {
          c.emplace(std::move(*nc));
        }
      } else {
        log::warn("bus.listen", {{"error", nc.error().message}});
      }
      if (!c) {
        if (!pause(backoff)) return;
        backoff = next_backoff(backoff, o_);
        continue;
      }
      backoff = o_.min_backoff;
      listener_pid_ = c->backend_pid();
      connects_ += 1;
      if (was_connected) {
        // Whatever the others sent while we were away is gone: every watcher re-checks.
        log::info("bus.reconnected", {{"channel", o_.channel}});
        if (r_.resync) r_.resync();
      }
      was_connected = true;
    }
    auto got = c->wait_notifications(listen_slice);
    if (!got) {
      log::warn("bus.disconnected", {{"channel", o_.channel}, {"error", got.error().message}});
      c.reset();
      listener_pid_ = 0;
      continue;
    }
    for (const auto& n : *got) {
      auto d = events::wire::decode(n.payload);
      if (!d) {
        log::warn("bus.bad_payload", {{"channel", n.channel}, {"size", std::uint64_t(n.payload.size())}});
        continue;
      }
      if (d->origin == origin_) continue;  // our own, already delivered here by publish()
      if (r_.deliver) r_.deliver(d->ev);
    }
  }
}

void event_transport::send_loop() {
  std::optional<connection> c;
  auto backoff = o_.min_backoff;
  const std::string resync = *events::wire::encode(origin_, events::event{{}, {}, {}, true});
  // Events waiting together go together: one round trip, one transaction, in order.
  constexpr std::size_t batch_max = 64;
  for (;;) {
    std::vector<std::string> payloads;
    bool resyncing = false;
    {
      std::unique_lock lk(m_);
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty() || lost_; });
      if (stopping_) return;
      sending_ = true;
      if (lost_) {
        resyncing = true;
        payloads.push_back(resync);
      } else {
        for (std::size_t i = 0; i < queue_.size() && i < batch_max; ++i) {
          auto p = events::wire::encode(origin_, queue_[i]);
          payloads.push_back(p ? *p : resync);
        }
      }
    }
    if (!c) {
      auto nc = connection::open(o_.url);
      if (!nc) {
        log::warn("bus.notify", {{"error", nc.error().message}});
        {
          // While we cannot reach the database, what is queued would be stale when we can:
          // the others get one resync instead.
          std::lock_guard lk(m_);
          queue_.clear();
          lost_ = true;
          sending_ = false;
        }
        if (!pause(backoff)) return;
        backoff = next_backoff(backoff, o_);
        continue;
      }
      c.emplace(std::move(*nc));
      backoff = o_.min_backoff;
    }
    for (const auto& p : payloads) c->queue("SELECT pg_notify($1, $2)", {to_param(o_.channel), to_param(p)});
    auto r = c->flush();
    std::lock_guard lk(m_);
    sending_ = false;
    // Taken from the front of the queue: send() only ever drops from there, and sets lost_.
    const std::size_t sent = resyncing ? 0 : std::min(payloads.size(), queue_.size());
    if (!r) {
      log::warn("bus.notify", {{"error", r.error().message}});
      c.reset();
      // These events are not known to have gone: a resync goes instead once connected again.
      if (!lost_) queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(sent));
      lost_ = true;
      continue;
    }
    if (resyncing) lost_ = false;
    else queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(sent));
  }
}

}  // namespace hearth::pg
