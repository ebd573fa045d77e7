// A thread pool made on first use, sized before that, drained once at shutdown: what the
// blocking pool (blocking.hpp) and the store pool (store_pool.hpp) each are. Thread-safe.
#pragma once
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <memory>
#include <mutex>

namespace hearth::net {

class lazy_pool {
 public:
  explicit lazy_pool(std::size_t threads) : threads_(threads) {}

  boost::asio::thread_pool& get();
  // Has effect only before the first get(); false once the pool runs. 0 is taken as 1.
  bool set_threads(std::size_t n);
  std::size_t threads();
  // Waits for every task already handed to the pool, then lets its threads exit; once only.
  void drain();

 private:
  std::mutex mutex_;
  std::unique_ptr<boost::asio::thread_pool> pool_;  // guarded by mutex_; never reset once made
  std::size_t threads_;                             // guarded by mutex_
  bool drained_ = false;                            // guarded by mutex_
};

}  // namespace hearth::net
