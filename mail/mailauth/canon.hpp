// DKIM canonicalization (RFC 6376 §3.4): "simple" and "relaxed" for header fields and body.
// Pure functions over the received bytes (lines end in CRLF; a bare LF is treated as a line
// end too, so a message stored with LF canonicalizes the same).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::mail::mailauth {

// One header field, `raw` as received (name, colon, value, folding, final CRLF).
// relaxed (§3.4.2): name lowercased, unfolded, WSP runs to one SP, WSP around the colon and at
// the end removed, then CRLF. simple (§3.4.1): the field unchanged (CRLF ensured).
std::string canon_header(std::string_view raw, bool relaxed);

// The body (§3.4.3 simple, §3.4.4 relaxed), then cut to `length` octets when given (l=).
// simple: trailing empty lines removed, an empty body becomes CRLF. relaxed: WSP at line ends
// removed, WSP runs to one SP, trailing empty lines removed, an empty body stays empty.
std::string canon_body(std::string_view body, bool relaxed);

}  // namespace hearth::mail::mailauth
