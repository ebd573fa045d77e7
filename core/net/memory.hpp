// Giving freed memory back to the system. glibc keeps memory a program has freed in its arenas
// (one per thread that allocates, up to 8 per core): after 10 000 idle TLS connections close,
// their SSL objects, coroutine frames and buffers are free but the pages stay resident
// (~230 MB), because the free chunks are scattered between live ones and only the top of an
// arena is trimmed on its own. malloc_trim(0) walks every arena and returns each whole free page
// inside them (madvise MADV_DONTNEED); it costs a few milliseconds per 100 MB, holding each
// arena's lock meanwhile, so it runs rarely and off the I/O threads (net::server calls it after
// a burst of closed connections).
#pragma once
#include <cstddef>

namespace hearth::net {

// The process's resident set in KiB (/proc/self/statm); 0 if unknown.
std::size_t resident_kb();

// Returns free heap memory to the system (glibc malloc_trim). False where it is not available.
// Thread-safe.
bool release_free_memory();

}  // namespace hearth::net
