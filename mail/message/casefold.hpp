// Unicode simple case folding (CaseFolding.txt status C and S), the comparison form of the
// i;unicode-casemap collation as IMAP SEARCH uses it (RFC 5051, RFC 9051 §6.4.4): every script
// folds (Greek final sigma to sigma, Cyrillic, Armenian, Georgian, Cherokee, Deseret...), and
// "ß" stays "ß" (its folding to "ss" is a full, not a simple, folding) while "ẞ" folds to "ß".
// Not done: RFC 5051's decomposition step (NFKD), so "é" and "e"+U+0301 differ.
#pragma once
#include <string>
#include <string_view>

namespace hearth::mail {

// The simple case folding of one code point (itself when it has none).
char32_t fold_code_point(char32_t c);

// Folds UTF-8 text; invalid octets are copied unchanged. Pure and thread-safe.
std::string fold_utf8(std::string_view s);

}  // namespace hearth::mail
