// gzip response bodies (RFC 9110 §8.4.1.3) when the client accepts them. Pure; thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/http/router.hpp"

namespace hearth::http {

// Whether an Accept-Encoding value allows gzip (RFC 9110 §12.5.3: "gzip" or "x-gzip" or "*"
// with a q-value above 0).
bool accepts_gzip(std::string_view accept_encoding);

// gzip of `data` (zlib, default level), or nullopt if zlib fails.
std::optional<std::string> gzip(std::string_view data);

// Compresses r's body in place when worthwhile: the client accepts gzip, the body is at least
// 1 KiB of text (text/*, */xml, */json, */calendar, */vcard), and no Content-Encoding is set.
// Adds Content-Encoding: gzip and Vary: Accept-Encoding. Returns true if it compressed.
bool maybe_gzip(response& r, std::string_view accept_encoding);

}  // namespace hearth::http
