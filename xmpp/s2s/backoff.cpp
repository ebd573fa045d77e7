#include "xmpp/s2s/backoff.hpp"

#include <algorithm>

namespace hearth::xmpp {

s2s_backoff::s2s_backoff(std::chrono::seconds first, std::chrono::seconds max, std::chrono::seconds give_up)
    : first_(std::max(first, std::chrono::seconds(1))), max_(std::max(max, first_)), give_up_(give_up), delay_(first_) {}

void s2s_backoff::progressed() {
  since_.reset();
  delay_ = first_;
  failures_ = 0;
}

std::optional<std::chrono::seconds> s2s_backoff::failed(clock::time_point now) {
  if (!since_) since_ = now;
  ++failures_;
  if (now + delay_ - *since_ > give_up_) return std::nullopt;
  auto wait = delay_;
  delay_ = std::min(delay_ * 2, max_);
  return wait;
}

}  // namespace hearth::xmpp
