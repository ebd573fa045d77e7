#include "mail/queue/schedule.hpp"

#include <algorithm>
#include <cctype>

namespace hearth::mail::queue {

std::int64_t retry_delay(const retry_policy& p, int failed) {
  std::int64_t cap = std::max<std::int64_t>(1, p.max_retry.count());
  std::int64_t d = std::max<std::int64_t>(1, p.first_retry.count());
  for (int i = 1; i < failed && d < cap; ++i) d *= 2;
  return std::min(d, cap);
}

verdict after_temporary_failure(const retry_policy& p, std::int64_t created, std::int64_t now) {
  return now - created >= p.give_up.count() ? verdict::give_up : verdict::retry;
}

bool delay_warning_due(const retry_policy& p, std::int64_t created, std::int64_t now, bool already_warned) {
  return !already_warned && now - created >= p.delay_warning.count();
}

bool notify_wants(std::string_view notify, std::string_view what) {
  if (notify.empty()) return what == "FAILURE" || what == "DELAY";
  auto eq = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
           });
  };
  while (!notify.empty()) {
    auto comma = notify.find(',');
    auto item = notify.substr(0, comma);
    if (eq(item, what)) return true;
    if (comma == std::string_view::npos) break;
    notify.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace hearth::mail::queue
