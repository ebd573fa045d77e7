// libFuzzer target: the pure parts of core/http that see raw client bytes — request targets
// (percent-decoding and path normalization), Host values, query parameters and Basic
// credentials. Besides "no crash", it checks the invariants the router relies on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/http/router.hpp"
#include "core/http/target.hpp"

using namespace hearth::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  if (auto t = parse_target(in)) {
    const std::string& p = t->path;
    // No path that leaves the parser may climb or smuggle bytes (target.hpp's contract).
    if (p.empty() || p[0] != '/') std::abort();
    if (p.find("//") != std::string::npos) std::abort();
    if (p == "/.." || p.find("/../") != std::string::npos || p.ends_with("/..")) std::abort();
    for (char c : p)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
    // Normalizing is idempotent on what it produced, if it is re-encoded safely (no '%', '?').
    if (p.find_first_of("%?#") == std::string::npos) {
      auto again = parse_target(p);
      if (!again || again->path != p) std::abort();
    }
  }

  if (auto h = normalize_host(in)) {
    for (char c : *h)
      if (c >= 'A' && c <= 'Z') std::abort();
  }

  // The first byte picks a parameter name so that both matching and missing names are explored.
  std::string_view name = size > 0 && (data[0] & 1) ? "emailaddress" : "a";
  (void)query_param(in, name);

  request req;
  req.headers["authorization"] = std::string(in);
  if (auto cred = basic_credentials(req)) {
    if (cred->first.empty() || cred->first.find(':') != std::string::npos) std::abort();
  }
  return 0;
}
