#include "core/sql/threaded.hpp"

#include <atomic>
#include <unordered_map>

namespace hearth::sql::detail {

namespace {
std::atomic<std::uint64_t> ids{1};
thread_local std::unordered_map<std::uint64_t, connection*> this_thread;
}  // namespace

std::uint64_t threaded_database::next_id() { return ids.fetch_add(1); }

connection& threaded_database::get() {
  auto c = try_get();
  if (!c) throw error_exception(c.error());
  return **c;
}

result<connection*> threaded_database::try_get() {
  if (auto it = this_thread.find(id_); it != this_thread.end()) return it->second;
  auto c = open_connection();
  if (!c) return c.error();
  auto* raw = c->get();
  {
    std::lock_guard lock(mu_);
    conns_.push_back(std::move(*c));
  }
  this_thread[id_] = raw;
  return raw;
}

}  // namespace hearth::sql::detail
