#include "core/net/blocking.hpp"

#include "core/net/lazy_pool.hpp"

namespace hearth::net {
namespace {

lazy_pool& pool() {
  static lazy_pool p(4);
  return p;
}

}  // namespace

asio::thread_pool& blocking_pool() { return pool().get(); }
bool set_blocking_pool_threads(std::size_t n) { return pool().set_threads(n); }
std::size_t blocking_pool_threads() { return pool().threads(); }
void drain_blocking_pool() { pool().drain(); }

}  // namespace hearth::net
