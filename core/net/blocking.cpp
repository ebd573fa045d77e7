#include "core/net/blocking.hpp"

#include <atomic>
#include <memory>
#include <mutex>

namespace hearth::net {
namespace {

std::mutex pool_mutex;
std::unique_ptr<asio::thread_pool> pool;  // guarded by pool_mutex; never reset once made
std::size_t pool_threads = 4;             // guarded by pool_mutex
bool drained = false;                     // guarded by pool_mutex

}  // namespace

asio::thread_pool& blocking_pool() {
  std::lock_guard lock(pool_mutex);
  if (!pool) pool = std::make_unique<asio::thread_pool>(pool_threads);
  return *pool;
}

bool set_blocking_pool_threads(std::size_t n) {
  std::lock_guard lock(pool_mutex);
  if (pool) return false;
  pool_threads = n == 0 ? 1 : n;
  return true;
}

std::size_t blocking_pool_threads() {
  std::lock_guard lock(pool_mutex);
  return pool_threads;
}

void drain_blocking_pool() {
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
