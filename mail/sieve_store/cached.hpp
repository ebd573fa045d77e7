// A script store that remembers what every delivery asks: an account's active script and the
// global scripts run before and after it. SMTP asks both for each local copy; the answers change
// only when a user or an administrator edits scripts.
//
// Correctness across writers:
//   - a change made through this object (ManageSieve, the web console) empties the cache and is
//     published on the event bus as "sieve.changed" (key: the account, "" for global scripts),
//     which empties the cache of every node on the same database (the bus's transport carries
//     it; a resync empties it too);
//   - a change made by another process on the same data directory (`hearth sieve` next to a
//     running server) appends one byte to the stamp file (`stamp`, the data directory's
//     "sieve.changed"); every lookup first looks at the file's size (one stat), and a new size
//     empties the cache, so the next delivery sees the change;
//   - any other change (the CLI on another node) is seen once the entry is older than
//     `max_age`: that is the bound on how stale an answer can be;
//   - "directory.changed" empties it too (a removed account takes its scripts with it).
// The whole cache is emptied on any change rather than one account's entry: changes are rare,
// and an account is named in more than one spelling (case, aliases) by its callers.
// Every other method goes straight to the wrapped store. Failed lookups are not remembered.
//
// Thread-safety: as store's; the cache has one mutex, never held across a database call.
#pragma once
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>

#include "mail/sieve_store/store.hpp"

namespace hearth::events {
class bus;
}

namespace hearth::mail::sieve_store {

struct cache_limits {
  // Per kind of lookup (active scripts, global scripts); a full cache is emptied. 0: nothing is
  // remembered, changes are only announced.
  std::size_t max_entries = 4096;
  std::chrono::milliseconds max_age{2000};
  // The stamp file (see the top); empty: none is written or looked at.
  std::filesystem::path stamp;
};

// The stamp file's name in the data directory.
inline constexpr const char* stamp_name = "sieve.changed";

// Wraps `inner` (which must outlive the result). `bus` may be null (no publishing, no
// listening: only the age bound and this object's own writes then keep it current).
std::unique_ptr<store> make_cached(store& inner, events::bus* bus, cache_limits limits = {});

}  // namespace hearth::mail::sieve_store
