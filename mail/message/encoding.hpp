// Content decoders for display and search: charsets, RFC 2047 encoded words, base64 and
// quoted-printable. All are lenient (mail in the wild is often slightly wrong) and bounded
// by their input: the output is never larger than a small multiple of the input.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace hearth::mail {

// Converts `bytes` in `charset` (case-insensitive; aliases such as "latin1", "utf8",
// "ascii", "iso_8859-1" accepted) to UTF-8. Known: UTF-8, US-ASCII, ISO-8859-1 (mapped here,
// octet n -> U+00n), and Windows-1252 (ISO-8859-1 plus its 0x80-0x9F table) here; any other
// name through iconv (invalid sequences become U+FFFD). Returns nullopt for a charset iconv
// does not know either. Invalid UTF-8 octets in a UTF-8 or US-ASCII input are
// replaced by U+FFFD, so the result is always valid UTF-8.
std::optional<std::string> to_utf8(std::string_view charset, std::string_view bytes);

// True when `charset` is one that to_utf8 understands (iconv included).
bool known_charset(std::string_view charset);

struct decoded_text {
  std::string text;              // UTF-8 where every charset was known
  bool unknown_charset = false;  // some encoded word named a charset we cannot convert;
                                 // that word was left in its encoded form
  bool malformed = false;        // some word looked encoded but did not decode; kept as is
};

// RFC 2047 decoding of an unfolded header value: every =?charset[*lang]?B|Q?text?= is
// decoded (§4.1 B, §4.2 Q with '_' as space), whitespace between two adjacent encoded words
// is dropped (§6.2), other text is passed through. Words inside quoted strings are decoded
// too (lenient, as common clients do). Bounded by the input length.
decoded_text decode_encoded_words(std::string_view value);

// RFC 2045 §6.8 base64, lenient: whitespace and any non-alphabet octet are skipped, decoding
// stops at the first '=' pad; a trailing incomplete quantum contributes its complete octets.
// `malformed` (optional) is set when non-alphabet, non-whitespace octets were skipped.
std::string decode_base64(std::string_view in, bool* malformed = nullptr);

// RFC 2045 §6.7 quoted-printable: "=XX" (either case) decoded, "=" before a line ending is a
// soft line break, whitespace before a line ending is dropped (rule 3), an invalid "=" is kept
// literally. Line endings (CRLF or LF) are preserved as they appear.
std::string decode_quoted_printable(std::string_view in);

// Decodes a body according to its Content-Transfer-Encoding (case-insensitive): base64 and
// quoted-printable are decoded; 7bit, 8bit, binary, and unknown encodings are returned as is.
std::string decode_transfer_encoding(std::string_view body, std::string_view encoding);

}  // namespace hearth::mail
