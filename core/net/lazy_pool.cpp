#include "core/net/lazy_pool.hpp"

namespace hearth::net {

boost::asio::thread_pool& lazy_pool::get() {
  std::lock_guard lock(mutex_);
  if (!pool_) pool_ = std::make_unique<boost::asio::thread_pool>(threads_);
  return *pool_;
}

bool lazy_pool::set_threads(std::size_t n) {
  std::lock_guard lock(mutex_);
  if (pool_) return false;
  threads_ = n == 0 ? 1 : n;
  return true;
}

std::size_t lazy_pool::threads() {
  std::lock_guard lock(mutex_);
  return threads_;
}

void lazy_pool::drain() {
  boost::asio::thread_pool* p = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (!pool_ || drained_) return;
    drained_ = true;
    p = pool_.get();
  }
  // Without stop(), join() returns once the pool has no outstanding work: the tasks finish.
  p->join();
}

}  // namespace hearth::net
