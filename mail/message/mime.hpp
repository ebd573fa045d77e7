// MIME structure (RFC 2045, RFC 2046): header fields with parameters (RFC 2231), and the tree
// of body parts with their exact offsets into the original bytes — what IMAP BODYSTRUCTURE,
// BODY[1.2.MIME] and BODY[1.2] need (RFC 9051 §6.4.5, §7.5.2).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/message/header.hpp"

namespace hearth::mail {

struct mime_parameter {
  std::string name;     // lower-cased attribute, without any RFC 2231 "*" or "*N*" suffix
  std::string value;    // for display: RFC 2231 sections joined and %-decoded, converted to
                        // UTF-8 when the charset is known; RFC 2047 words decoded (lenient)
  std::string raw;      // for re-serialization: joined sections; for an extended parameter
                        // "charset'language'%XX..." exactly as in RFC 2231 §4
  std::string charset;  // RFC 2231 charset, empty if none
  std::string language; // RFC 2231 language, empty if none
  bool extended = false;        // written with RFC 2231 "*" syntax
  bool unknown_charset = false; // `value` is raw octets because the charset is unknown
};

struct mime_parameters {
  std::vector<mime_parameter> list;  // in order of first appearance, one per name
  const mime_parameter* find(std::string_view name) const;  // case-insensitive
  // The display value, or `fallback` when absent.
  std::string get(std::string_view name, std::string_view fallback = {}) const;
};

inline constexpr std::size_t max_parameters = 64;        // per field
inline constexpr unsigned max_parameter_sections = 100;  // RFC 2231 continuations per name

// Parses `;`-separated parameters (RFC 2045 §5.1, RFC 2231 §3-§4). Lenient: unquoted values
// with spaces, missing '=' and duplicate names (the first wins) are tolerated.
mime_parameters parse_parameters(std::string_view text);

struct content_type {
  std::string type = "text";      // lower case
  std::string subtype = "plain";  // lower case
  mime_parameters params;
  bool valid = true;  // false: the field was unusable and the default was applied

  bool is(std::string_view t, std::string_view s) const;
  bool is_multipart() const { return type == "multipart"; }
  // message/rfc822 or message/global (RFC 6532 §3.7): an encapsulated message.
  bool is_message() const;
};

// RFC 2045 §5.1 "type/subtype *(; parameter)". Unusable syntax gives text/plain;
// charset=us-ascii with valid = false (RFC 2045 §5.2).
content_type parse_content_type(std::string_view value);

struct content_disposition {
  std::string type;  // lower case ("inline", "attachment"); empty when the field is absent
  mime_parameters params;
};
content_disposition parse_content_disposition(std::string_view value);

struct structure_limits {
  unsigned max_depth = 20;      // multipart and message/rfc822 nesting
  std::size_t max_parts = 5000; // body parts in the whole message
  header_limits header;
};

struct body_part {
  header_section header;    // this part's MIME header (the message header for the root and
                            // for the encapsulated message of a message/rfc822 part)
  std::size_t header_begin = 0;  // = header.begin
  std::size_t body_begin = 0;    // = header.end
  std::size_t body_end = 0;      // excludes the CRLF that belongs to the next delimiter
  std::size_t lines = 0;         // body lines: LF count, +1 for an unterminated last line
  content_type type;             // after defaults and degradation (see parse_message)
  std::string encoding = "7bit"; // Content-Transfer-Encoding, lower case
  content_disposition disposition;
  std::string id, description, location, md5;  // unfolded; description RFC 2047 decoded
  std::vector<std::string> language;          // Content-Language tags
  // multipart: the parts in order; message/rfc822: exactly one, the encapsulated message
  // (its header starts at body_begin); otherwise empty.
  std::vector<body_part> children;
  std::uint32_t problems = 0;  // bits of enum problem found at this part (header included)

  std::size_t size() const { return body_end - body_begin; }
  std::size_t header_size() const { return body_begin - header_begin; }
};

struct message_structure {
  body_part root;
  std::uint32_t problems = 0;  // union over all parts
  std::size_t part_count = 0;
  bool has(problem p) const { return (problems & p) != 0; }
};

// Parses a whole message. Never fails: a multipart without a boundary or without any
// delimiter line, or nested beyond max_depth, is degraded to a text/plain leaf (its bytes
// stay addressable); a missing close delimiter ends the last part at the end of its parent.
// Boundary lines match RFC 2046 §5.1.1 exactly ("--" boundary ["--"] then only whitespace).
// Work is O(size × depth); recursion depth ≤ 2 × max_depth + 1.
message_structure parse_message(std::string_view message, const structure_limits& limits = {});

// IMAP section-part navigation (RFC 9051 §6.4.5): `path` such as {1, 2} for "1.2". A part of
// a non-multipart entity numbered 1 is the entity itself; the numbers after a message/rfc822
// part address the parts of the encapsulated message. Returns nullptr for a path that does
// not exist. An empty path returns the root.
const body_part* find_part(const body_part& root, const std::vector<unsigned>& path);

}  // namespace hearth::mail
