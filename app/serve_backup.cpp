// The `[backup]` schedule inside `hearth serve`: a snapshot into backup.destination whenever its
// newest is backup.interval seconds old (app/backup.hpp), each logged as `backup.done` or
// `backup.failed`. Stopping the server waits for a backup in progress to finish.
// A thread of its own, not the blocking pool: a first full backup may take minutes, and the
// pool serves the protocols.
#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>

#include "app/backup.hpp"
#include "app/common.hpp"
#include "app/serve_context.hpp"
#include "core/log/log.hpp"

namespace hearth::app {
namespace {

class backup_schedule {
 public:
  backup_schedule(backup_options o, unsigned interval) : opts_(std::move(o)), interval_(interval) {
    thread_ = std::thread([this] { loop(); });
  }
  ~backup_schedule() { stop(); }

  void stop() {
    {
      std::lock_guard l(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    std::unique_lock l(mu_);
    for (;;) {
      if (cv_.wait_for(l, std::chrono::seconds(next_delay()), [this] { return stopping_; })) return;
      l.unlock();
      run_once();
      l.lock();
    }
  }

  // Seconds until the newest snapshot in DEST is one interval old, so that restarting the
  // server more often than the interval does not postpone backups for ever; at least a minute
  // (or the interval, if shorter) after start, so a start is not slowed by a backup.
  unsigned next_delay() const {
    const std::int64_t floor = std::min<std::int64_t>(interval_, 60);
    auto list = list_snapshots(opts_.dest);
    if (!list || list->empty()) return static_cast<unsigned>(floor);
    const std::int64_t due = list->back().created + interval_ - static_cast<std::int64_t>(std::time(nullptr));
    return static_cast<unsigned>(std::clamp<std::int64_t>(due, floor, interval_));
  }

  void run_once() {
    auto r = run_backup(opts_);
    if (!r) {
      log::error("backup.failed", {{"dest", opts_.dest.string()}, {"error", r.error().message}});
      return;
    }
    log::info("backup.done", {{"dest", opts_.dest.string()},
                              {"snapshot", r->snapshot},
                              {"files", std::uint64_t(r->files)},
                              {"blobs", std::uint64_t(r->blobs)},
                              {"blobs_copied", std::uint64_t(r->blobs_copied)},
                              {"bytes_copied", r->bytes_copied},
                              {"removed_snapshots", std::uint64_t(r->removed_snapshots)},
                              {"ms", std::uint64_t(r->seconds * 1000)},
                              {"writers_held_ms", std::uint64_t(r->locked_seconds * 1000)}});
  }

  backup_options opts_;
  unsigned interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

bool install_backup(serve_context& ctx) {
  const auto& c = ctx.cfg;
  if (c.backup_destination.empty()) return true;
  if (auto why = backup_unsupported(c)) {
    log::error("backup.schedule", {{"error", *why}});
    return false;
  }
  backup_options o;
  o.data_dir = c.data_dir;
  o.dest = c.backup_destination;
  o.keep = c.backup_retention;
  auto s = std::make_shared<backup_schedule>(std::move(o), c.backup_interval);
  ctx.keep.push_back(s);
  ctx.on_stop.push_back([s] { s->stop(); });
  log::info("backup.schedule", {{"dest", c.backup_destination.string()},
                                {"interval", std::uint64_t(c.backup_interval)},
                                {"retention", std::uint64_t(c.backup_retention)}});
  return true;
}

}  // namespace hearth::app
