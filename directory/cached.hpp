// A directory that remembers the answers every inbound message asks for: is_local_domain(),
// find_account() and resolve(). SMTP asks them at RCPT and again at delivery, a few statements
// each, for every message; the answers change only when an administrator changes something.
//
// Correctness across writers:
//   - a change made through this object (the web console, the admin API) empties the cache
//     and is published on the event bus as "directory.changed", which empties the cache of
//     every node on the same database (the bus's transport carries it; a resync empties it
//     too);
//   - a change made by another process (`hearth user add` next to a running server) is seen
//     once the entry is older than `max_age`: that is the bound on how stale an answer can be.
// Every other method goes straight to the wrapped directory. Lookups that throw (a database
// failure) are not remembered.
//
// Thread-safety: as directory's; the cache has one mutex, never held across a database call.
#pragma once
#include <chrono>
#include <cstddef>
#include <memory>

#include "directory/directory.hpp"

namespace hearth::events {
class bus;
}

namespace hearth::directory {

struct cache_limits {
  // Per kind of lookup; a full cache is emptied. 0: nothing is remembered, changes are only
  // announced (what `serve` gives every area but SMTP, whose lookups must be current).
  std::size_t max_entries = 4096;
  std::chrono::milliseconds max_age{2000};
};

// Wraps `inner` (which must outlive the result). `bus` may be null (no publishing, no
// listening: only the age bound and this object's own writes then keep it current).
std::unique_ptr<directory> make_cached(directory& inner, events::bus* bus, cache_limits limits = {});

}  // namespace hearth::directory
