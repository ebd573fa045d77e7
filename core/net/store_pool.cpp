#include "core/net/store_pool.hpp"

#include <thread>

#include "core/net/lazy_pool.hpp"

namespace hearth::net {
namespace {

// Twice the cores, plus a few: enough threads that writers sleeping on fsync or on SQLite's
// writer lock leave some for the next STORE, without one thread per session.
std::size_t default_threads() {
  const std::size_t cores = std::thread::hardware_concurrency();
  return 2 * (cores == 0 ? 2 : cores) + 4;
}

lazy_pool& pool() {
  static lazy_pool p(default_threads());
  return p;
}

}  // namespace

asio::thread_pool& store_pool() { return pool().get(); }
bool set_store_pool_threads(std::size_t n) { return pool().set_threads(n); }
std::size_t store_pool_threads() { return pool().threads(); }
void drain_store_pool() { pool().drain(); }

}  // namespace hearth::net
