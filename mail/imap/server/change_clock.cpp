#include "mail/imap/server/change_clock.hpp"

namespace hearth::mail::imap {

change_clock::change_clock(events::bus& bus, std::function<std::uint64_t()> others) : others_(std::move(others)) {
  auto cb = [this](const events::event& e) { on_event(e); };
  new_ = bus.subscribe("mail.new", cb);
  changed_ = bus.subscribe("mail.changed", cb);
}

std::uint64_t change_clock::now() const {
  std::lock_guard lk(m_);
  return seq_;
}

void change_clock::on_event(const events::event& e) {
  std::lock_guard lk(m_);
  const std::uint64_t n = ++seq_;
  // A resync comes once per subscription with the subscription's own (here empty) key: events
  // of any account may have been lost, so everything read before it is read again.
  if (names_ >= max_names || e.resync) {
    owners_.clear();
    names_ = 0;
    floor_ = n;
    return;
  }
  auto [found, new_owner] = owners_.try_emplace(e.key);
  if (new_owner) ++names_;
  auto& o = found->second;
  if (e.data.empty()) {
    o.all = n;
    return;
  }
  auto [it, added] = o.by_mailbox.try_emplace(e.data, n);
  if (added) ++names_;
  else it->second = n;
}

bool change_clock::changed_since(std::string_view owner, std::string_view mailbox, std::uint64_t since) {
  std::lock_guard lk(m_);
  if (!others_) return true;
  // Asked here, not in now(): a write by another process between the reading and this call
  // must count, and one before the reading moved the value at the latest now.
  if (const auto o = others_(); o != others_seen_) {
    others_seen_ = o;
    floor_ = ++seq_;
  }
  if (since == 0 || since < floor_) return true;
  auto o = owners_.find(owner);
  if (o == owners_.end()) return false;
  if (o->second.all > since) return true;
  const auto& names = o->second.by_mailbox;
  // The mailbox itself, then each parent: "a/b/c", "a/b", "a".
  for (std::string_view n = mailbox;;) {
    if (auto it = names.find(n); it != names.end() && it->second > since) return true;
    auto slash = n.rfind('/');
    if (slash == std::string_view::npos) return false;
    n = n.substr(0, slash);
  }
}

}  // namespace hearth::mail::imap
