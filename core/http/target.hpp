// Request-target and Host parsing (RFC 9112 §3.2, RFC 3986): pure functions, shared by the
// session and the fuzz target. Their job is to make sure that no request can name a path
// outside what a route registered: every path that leaves here is absolute, has no "." or ".."
// segment, no empty segment, and no byte that could mean something else further down (NUL,
// control characters, a '/' that was percent-encoded inside a segment).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/util/result.hpp"

namespace hearth::http {

// Percent-decodes (RFC 3986 §2.1). With plus_as_space, '+' means ' ' (the HTML form encoding
// that query strings use). Returns nullopt on a '%' not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space);

struct parsed_target {
  std::string path;       // decoded, normalized, starts with '/'; a trailing '/' is kept
  std::string query;      // raw, without '?'
  std::string authority;  // absolute-form only: the "host[:port]" the target names, else ""
};

// Parses an origin-form ("/a/b?q") or absolute-form ("https://host/a/b?q") target
// (RFC 9112 §3.2.1, §3.2.2). The path is percent-decoded segment by segment; "." segments and
// empty segments ("//") are dropped. Errors (code "http.target"): any other form (asterisk,
// authority), a malformed escape, a ".." segment (also encoded, "%2e%2e"), a segment whose
// decoding contains '/', NUL or another control character (0x00-0x1f, 0x7f). Targets longer
// than 8 KiB are refused too (the session's header limit makes them impossible anyway).
result<parsed_target> parse_target(std::string_view target);

// The Host header (or an absolute-form authority) as router.hpp's request::host: lowercase,
// without the port, without a trailing dot, IPv6 literals without brackets. "" stays "".
// Returns nullopt when it is not a plausible host (RFC 9112 §3.2 wants a 400 then): characters
// outside letters, digits, '-', '.', '_' (and hex digits and ':' inside brackets), a port that is
// not digits, more than 255 characters.
std::optional<std::string> normalize_host(std::string_view host);

}  // namespace hearth::http
