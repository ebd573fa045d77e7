#include "mail/imap/server/cache.hpp"

namespace hearth::mail::imap {

std::shared_ptr<parsed_message> message_cache::get(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = index_.find(id);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

namespace {
// The bytes plus the parsed structure (fields, parts, parameters): about 1 KiB a part.
std::size_t cost(const parsed_message& m) { return m.bytes->size() + 1024 * (m.structure.part_count + 1); }
}  // namespace

void message_cache::put(const std::string& id, std::shared_ptr<parsed_message> m) {
  const std::size_t size = cost(*m);
  if (size > max_entry_) return;
  std::lock_guard lock(mu_);
  if (index_.count(id)) return;
  order_.emplace_front(id, std::move(m));
  index_[id] = order_.begin();
  bytes_ += size;
  while (bytes_ > max_bytes_ && !order_.empty()) {
    auto& last = order_.back();
    bytes_ -= cost(*last.second);
    index_.erase(last.first);
    order_.pop_back();
  }
}

}  // namespace hearth::mail::imap
