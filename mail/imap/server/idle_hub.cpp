#include "mail/imap/server/idle_hub.hpp"

#include <vector>

namespace hearth::mail::imap {

idle_hub::watch& idle_hub::watch::operator=(watch&& o) noexcept {
  if (this != &o) {
    reset();
    hub_ = o.hub_;
    owner_ = std::move(o.owner_);
    it_ = o.it_;
    o.hub_ = nullptr;
  }
  return *this;
}

void idle_hub::watch::reset() {
  if (!hub_) return;
  hub_->remove(owner_, it_);
  hub_ = nullptr;
}

idle_hub::watch idle_hub::add(const std::string& owner, const std::string& mailbox, std::function<void()> wake) {
  watch w;
  std::unique_lock lk(m_);
  auto found = owners_.find(owner);
  if (found == owners_.end()) {
    auto st = std::make_unique<owner_state>();
    // Subscribing under the hub's lock cannot deadlock: the bus calls no callback of ours
    // while it subscribes, and our callback takes this lock only after the bus let go of its own.
    auto cb = [this](const events::event& e) { on_event(e); };
    st->sub_new = bus_.subscribe("mail.new", owner, cb);
    st->sub_changed = bus_.subscribe("mail.changed", owner, cb);
    found = owners_.emplace(owner, std::move(st)).first;
  }
  w.it_ = found->second->by_mailbox.emplace(mailbox, std::move(wake));
  w.hub_ = this;
  w.owner_ = owner;
  return w;
}

void idle_hub::remove(const std::string& owner, watch::iterator it) {
  std::unique_ptr<owner_state> gone;
  {
    std::lock_guard lk(m_);
    auto found = owners_.find(owner);
    if (found == owners_.end()) return;
    found->second->by_mailbox.erase(it);
    if (!found->second->by_mailbox.empty()) return;
    gone = std::move(found->second);
    owners_.erase(found);
  }
  // Outside the lock: a subscription's reset waits for a callback running on another thread,
  // and that callback may be waiting for this lock.
  gone.reset();
}

void idle_hub::on_event(const events::event& e) {
  std::lock_guard lk(m_);
  auto found = owners_.find(e.key);
  if (found == owners_.end()) return;
  auto& by = found->second->by_mailbox;
  if (e.resync || e.data.empty()) {
    for (auto& [name, wake] : by) wake();
    return;
  }
  // The mailbox itself, then the ones below it: "A/..." sorts right after "A" and its siblings
  // that start with "A" but continue with a character before '/' ("A!", "A-"), and '/' + 1 is
  // '0', so [A/, A0) holds exactly the descendants.
  auto [lo, hi] = by.equal_range(e.data);
  for (auto it = lo; it != hi; ++it) it->second();
  const std::string below = e.data + "/";
  std::string after = e.data + "0";
  for (auto it = by.lower_bound(below); it != by.end() && it->first < after; ++it) it->second();
}

std::size_t idle_hub::owners() const {
  std::lock_guard lk(m_);
  return owners_.size();
}

}  // namespace hearth::mail::imap
