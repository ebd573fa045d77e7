#include "mail/imap/server/cache.hpp"

namespace hearth::mail::imap {

std::shared_ptr<parsed_message> message_cache::get(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = index_.find(id);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

void message_cache::put(const std::string& id, std::shared_ptr<parsed_message> m) {
  const std::size_t size = m->bytes->size();
  if (size > max_entry_) return;
  std::lock_guard lock(mu_);
  if (index_.count(id)) return;
  order_.emplace_front(id, std::move(m));
  index_[id] = order_.begin();
  bytes_ += size;
  while (bytes_ > max_bytes_ && !order_.empty()) {
    auto& last = order_.back();
    bytes_ -= last.second->bytes->size();
    index_.erase(last.first);
    order_.pop_back();
  }
}

}  // namespace hearth::mail::imap
