// The retry schedule: first retry after first_retry, then doubling, capped at
// max_retry; a delay warning once after delay_warning; give up after give_up. Pure.
#pragma once
#include <chrono>
#include <cstdint>
#include <string_view>

namespace hearth::mail::queue {

struct retry_policy {
  std::chrono::seconds first_retry{300};
  std::chrono::seconds max_retry{4 * 3600};
  std::chrono::seconds give_up{5 * 24 * 3600};
  std::chrono::seconds delay_warning{4 * 3600};
};

// Seconds to wait after the `failed`-th failed attempt (failed >= 1): first_retry * 2^(failed-1),
// capped at max_retry (and never below 1 s).
std::int64_t retry_delay(const retry_policy& p, int failed);

enum class verdict { retry, give_up };
// After a temporary failure at `now` of an entry queued at `created` (Unix seconds): retry, or
// give up because the entry is older than give_up, or because the next attempt would fall after it.
verdict after_temporary_failure(const retry_policy& p, std::int64_t created, std::int64_t now);

// True when a delay warning is due: not yet sent and the entry is older than delay_warning.
bool delay_warning_due(const retry_policy& p, std::int64_t created, std::int64_t now, bool already_warned);

// RFC 3461 §4.1 NOTIFY: does `notify` ("" = default FAILURE,DELAY) ask for `what`
// ("SUCCESS", "FAILURE", "DELAY")? NEVER asks for nothing.
bool notify_wants(std::string_view notify, std::string_view what);

}  // namespace hearth::mail::queue
