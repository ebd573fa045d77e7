#include "core/db/write_guard.hpp"

namespace hearth::db {
namespace {
struct guard_state {
  bool active = false;
  bool attempted = false;
};
thread_local guard_state guard;
}  // namespace

no_write_scope::no_write_scope() { guard = {true, false}; }
no_write_scope::~no_write_scope() { guard = {}; }
bool no_write_scope::write_attempted() const { return guard.attempted; }

namespace detail {
bool may_write() noexcept {
  if (!guard.active) return true;
  guard.attempted = true;
  return false;
}
bool writes_refused() noexcept { return guard.active; }
}  // namespace detail

}  // namespace hearth::db
