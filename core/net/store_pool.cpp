#include "core/net/store_pool.hpp"

#include <memory>
#include <mutex>
#include <thread>

namespace hearth::net {
namespace {

// Twice the cores, plus a few: enough threads that writers sleeping on fsync or on SQLite's
// writer lock leave some for the next STORE, without one thread per session.
std::size_t default_threads() {
  const std::size_t cores = std::thread::hardware_concurrency();
  return 2 * (cores == 0 ? 2 : cores) + 4;
}

std::mutex pool_mutex;
std::unique_ptr<asio::thread_pool> pool;          // guarded by pool_mutex; never reset once made
std::size_t pool_threads = default_threads();     // guarded by pool_mutex
bool drained = false;                             // guarded by pool_mutex

}  // namespace

asio::thread_pool& store_pool() {
  std::lock_guard lock(pool_mutex);
  if (!pool) pool = std::make_unique<asio::thread_pool>(pool_threads);
  return *pool;
}

bool set_store_pool_threads(std::size_t n) {
  std::lock_guard lock(pool_mutex);
  if (pool) return false;
  pool_threads = n == 0 ? 1 : n;
  return true;
}

std::size_t store_pool_threads() {
  std::lock_guard lock(pool_mutex);
  return pool_threads;
}

void drain_store_pool() {
  asio::thread_pool* p = nullptr;
  {
    std::lock_guard lock(pool_mutex);
    if (!pool || drained) return;
    drained = true;
    p = pool.get();
  }
  // Without stop(), join() returns once the pool has no outstanding work: the tasks finish.
  p->join();
}

}  // namespace hearth::net
