#include "core/db/write_guard.hpp"

namespace hearth::db {
namespace {
struct guard_state {
  bool active = false;
  bool quick = false;      // mode::quick_writes
  bool attempted = false;  // a write was refused
  bool in_tx = false;      // a quick transaction is open
  bool committed = false;  // a write committed in the scope
};
thread_local guard_state guard;
}  // namespace

no_write_scope::no_write_scope(mode m) { guard = {true, m == mode::quick_writes, false, false, false}; }
no_write_scope::~no_write_scope() { guard = {}; }
bool no_write_scope::write_attempted() const { return guard.attempted; }
bool no_write_scope::committed() const { return guard.committed; }
bool inside_no_write_scope() noexcept { return guard.active; }

namespace detail {

bool writes_refused() noexcept { return guard.active && !(guard.quick && (guard.in_tx || guard.committed)); }

bool may_write() noexcept {
  if (!writes_refused()) return true;
  guard.attempted = true;
  return false;
}

begin_policy transaction_policy(bool durable) noexcept {
  if (!guard.active) return begin_policy::wait;
  if (guard.quick && guard.committed) return begin_policy::wait;
  // After a refusal the work runs again elsewhere: nothing of it may commit here.
  if (!guard.quick || durable || guard.attempted) {
    guard.attempted = true;
    return begin_policy::refuse;
  }
  return begin_policy::no_wait;
}

void refused() noexcept { guard.attempted = true; }
void quick_started() noexcept { guard.in_tx = true; }
void quick_ended(bool committed) noexcept {
  guard.in_tx = false;
  guard.committed |= committed;
}
bool in_quick_transaction() noexcept { return guard.active && guard.in_tx; }

}  // namespace detail
}  // namespace hearth::db
