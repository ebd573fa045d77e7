// The resolver's answers remembered in the process, in front of libunbound. Unbound caches
// answers too, but reaching its cache costs a hop to its thread and back through a pipe for
// every query (HACKING "Inbound SMTP: where the CPU goes"); inbound SMTP asks the same few
// names (PTR, SPF and DMARC TXT, DKIM keys, DNSBL) again for every message from a sender.
//
//   answer_cache c;
//   c.put("example.org", 16, {status::ok, false, {"v=spf1 -all"}}, 300, now);
//   if (auto a = c.get("example.org", 16, now)) ...
//
// What is kept: positive answers for their TTL (at most max_ttl), NXDOMAIN and NODATA for the
// TTL the resolver gives them, which RFC 2308 §5 derives from the SOA of the authority section
// (at most max_negative_ttl; without an SOA the TTL is 0 and nothing is kept, as RFC 2308 §5
// asks). Never kept: temporary failures and bogus answers (a retry must ask again), answers
// with a TTL of 0. Names are compared as given: the resolver passes normalized names.
// Bounded: at max_entries, expired entries are dropped, and if none were, everything.
//
// Thread-safety: every member may be called from any thread at once (one mutex, held only for
// the map operation).
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/dns/resolver.hpp"

namespace hearth::dns {

struct cached_answer {
  status st = status::temporary;
  bool secure = false;
  std::vector<std::string> rdata;  // wire-format RDATA, as libunbound gives it
};

class answer_cache {
 public:
  using clock = std::chrono::steady_clock;
  struct limits {
    std::size_t max_entries = 16384;
    std::chrono::seconds max_ttl{86400};
    std::chrono::seconds max_negative_ttl{3600};
  };

  answer_cache() : answer_cache(limits{}) {}
  explicit answer_cache(limits l) : limits_(l) {}

  // The answer for (name, type) if one is kept and not expired at `now`.
  std::optional<cached_answer> get(std::string_view name, int type, clock::time_point now);
  // Keeps `a` for `ttl_seconds` from `now` (bounded as above) when its status may be kept.
  void put(std::string_view name, int type, const cached_answer& a, std::int64_t ttl_seconds,
           clock::time_point now);
  std::size_t size() const;

 private:
  struct entry {
    cached_answer answer;
    clock::time_point expires;
  };
  static std::string key(std::string_view name, int type);

  limits limits_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, entry> map_;
};

}  // namespace hearth::dns
