#include "core/db/checkpointer.hpp"

#include <sqlite3.h>

#include <map>

#include "core/log/log.hpp"

namespace hearth::db::detail {

checkpointer::~checkpointer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void checkpointer::request() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    wanted_ = true;
    if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  }
  cv_.notify_one();
}

std::uint64_t checkpointer::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

std::uint64_t checkpointer::truncations() const {
  std::lock_guard lock(mu_);
  return truncations_;
}

void checkpointer::loop() {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    log::warn("db.checkpoint", {{"file", path_}, {"error", db ? sqlite3_errmsg(db) : "open failed"}});
    sqlite3_close(db);
    return;
  }
  // NORMAL in WAL mode: the WAL is synced before a checkpoint copies it, the database file
  // before the WAL is reused.
  (void)sqlite3_exec(db, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
  // Never runs the automatic checkpoint itself (it commits nothing), and never waits on a lock.
  sqlite3_busy_timeout(db, 0);
  bool truncate_due = false;
  std::uint64_t seen = commits_.load(std::memory_order_relaxed);
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (!wanted_) {
      if (!truncate_due) {
        cv_.wait(lock, [this] { return wanted_ || stop_; });
      } else if (!cv_.wait_for(lock, idle_, [this] { return wanted_ || stop_; })) {
        const std::uint64_t now = commits_.load(std::memory_order_relaxed);
        if (now != seen) {
          seen = now;  // still writing: look again after another idle period
          continue;
        }
        truncate_due = false;
        lock.unlock();
        const int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
        lock.lock();
        if (rc == SQLITE_OK) ++truncations_;
        continue;
      }
      continue;
    }
    wanted_ = false;
    lock.unlock();
    (void)sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    seen = commits_.load(std::memory_order_relaxed);
    lock.lock();
    ++runs_;
    truncate_due = true;
  }
  lock.unlock();
  sqlite3_close(db);
}

std::shared_ptr<checkpointer> checkpointer_for(const std::filesystem::path& db_path) {
  if (db_path.empty() || db_path == ":memory:") return nullptr;
  static auto* mu = new std::mutex;
  static auto* files = new std::map<std::string, std::weak_ptr<checkpointer>>;
  std::error_code ec;
  auto key = std::filesystem::weakly_canonical(db_path, ec).string();
  if (ec) key = db_path.string();
  std::lock_guard lock(*mu);
  auto& slot = (*files)[key];
  auto c = slot.lock();
  if (!c) slot = c = std::make_shared<checkpointer>(key);
  return c;
}

}  // namespace hearth::db::detail
