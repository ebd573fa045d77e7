// A process-wide cache of parsed messages by blob id (bytes + MIME structure), shared by every
// IMAP session, so FETCH BODYSTRUCTURE/ENVELOPE of a message that any session read recently
// does not read the blob and re-parse it. Blobs are immutable (content-addressed), so an entry
// never goes stale. Least recently used entries go first once `max_bytes` is exceeded; messages
// above max_entry_bytes are not kept.
//
// Thread-safety: all members may be called from any thread.
#pragma once
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

class message_cache {
 public:
  explicit message_cache(std::size_t max_bytes = 64u << 20, std::size_t max_entry_bytes = 2u << 20)
      : max_bytes_(max_bytes), max_entry_(max_entry_bytes) {}

  std::shared_ptr<parsed_message> get(const std::string& blob_id);
  void put(const std::string& blob_id, std::shared_ptr<parsed_message> m);

 private:
  using lru = std::list<std::pair<std::string, std::shared_ptr<parsed_message>>>;
  std::mutex mu_;
  lru order_;  // most recent first
  std::unordered_map<std::string, lru::iterator> index_;
  std::size_t bytes_ = 0;
  std::size_t max_bytes_, max_entry_;
};

}  // namespace hearth::mail::imap
