// Modified UTF-7 mailbox names (RFC 3501 §5.1.3), for IMAP4rev1 clients that have not sent
// ENABLE UTF8=ACCEPT (RFC 6855 / RFC 9051 §5.1: then names travel as UTF-8).
#pragma once
#include "core/util/result.hpp"

#include <string>
#include <string_view>

namespace hearth::mail::imap {

// Decodes a modified UTF-7 name to UTF-8. Errors ("imap.mutf7"): 8-bit bytes, unterminated
// or malformed "&...-" runs, bad UTF-16 surrogates, an encoded run of printable ASCII.
// With literal_bad_runs, an "&" that starts no well-formed run stands for itself instead
// (8-bit and control bytes are still errors).
result<std::string> mutf7_decode(std::string_view in, bool literal_bad_runs = false);

// Encodes UTF-8 to modified UTF-7. Invalid UTF-8 bytes are encoded as U+FFFD. Never fails.
std::string mutf7_encode(std::string_view utf8);

// True if `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool valid_utf8(std::string_view s);

}  // namespace hearth::mail::imap
