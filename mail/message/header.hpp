// RFC 5322 header section parsing over the raw bytes of a message.
//
// Pure and allocation-light: every field is a view into the caller's buffer, with its exact
// bytes (folding and line endings included) and its offset, so DKIM (RFC 6376 §3.4) can
// canonicalize the very bytes that were received and IMAP can serve BODY[HEADER] slices.
// Violations of the format are reported as flags on the result, never as a crash or throw.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail {

// Problems found while parsing; a bit set in header_section::problems / body_part::problems.
enum problem : std::uint32_t {
  problem_bare_lf = 1u << 0,            // a line ended in LF without CR (RFC 5322 §2.3)
  problem_line_too_long = 1u << 1,      // a line longer than 998 octets + CRLF (§2.1.1)
  problem_too_many_fields = 1u << 2,    // fields beyond header_limits::max_fields were dropped
  problem_header_too_large = 1u << 3,   // fields past header_limits::max_section were dropped
  problem_malformed_field = 1u << 4,    // a line with no colon or an empty/invalid field name
  problem_nul = 1u << 5,                // a NUL octet in the header
  problem_no_body_separator = 1u << 6,  // the header ran to the end without an empty line
  problem_8bit_header = 1u << 7,        // octets >= 0x80 in the header (RFC 6532 or raw 8-bit)
  // Structure problems (mime.hpp) share the same bit set.
  problem_missing_boundary = 1u << 8,   // multipart without a usable boundary parameter
  problem_no_parts = 1u << 9,           // multipart in which no delimiter line was found
  problem_missing_close = 1u << 10,     // multipart without its close delimiter (RFC 2046 §5.1.1)
  problem_depth_limit = 1u << 11,       // nesting deeper than structure_limits::max_depth
  problem_part_limit = 1u << 12,        // more parts than structure_limits::max_parts
};

struct header_limits {
  std::size_t max_fields = 1000;          // fields kept; the rest are counted as a problem
  std::size_t max_section = 1024 * 1024;  // bytes of header kept as fields
  std::size_t max_line = 998;             // RFC 5322 §2.1.1, excluding the CRLF
};

struct header_field {
  std::string_view name;   // as written, without the colon and without trailing WSP
  std::string_view value;  // everything after the colon up to (excluding) the final line
                           // ending: folding CRLFs and leading WSP kept
  std::string_view raw;    // the whole field: name, colon, value and its final line ending
  std::size_t offset = 0;  // offset of raw.data() in the parsed buffer
  bool valid = true;       // false: a line without a colon, kept only so raw bytes are whole
};

struct header_section {
  std::vector<header_field> fields;  // in order of appearance
  std::size_t begin = 0;             // offset of the first header byte
  std::size_t end = 0;               // offset just past the empty line (= body start)
  std::uint32_t problems = 0;        // bits of enum problem
  std::size_t field_count = 0;       // fields seen, including dropped ones

  bool has(problem p) const { return (problems & p) != 0; }
  // First valid field whose name equals `name` ASCII case-insensitively, or nullptr.
  const header_field* find(std::string_view name) const;
  // All valid fields with that name, in order.
  std::vector<const header_field*> find_all(std::string_view name) const;
  // Size of the header section in octets, including the empty line.
  std::size_t size() const { return end - begin; }
};

// Parses the header section of data[begin, end): lines up to and including the first empty
// line (CRLF or bare LF). If there is no empty line the whole range is header and
// problem_no_body_separator is set. Never throws; bounded by the range length.
header_section parse_header(std::string_view data, std::size_t begin, std::size_t end,
                            const header_limits& limits = {});
inline header_section parse_header(std::string_view data, const header_limits& limits = {}) {
  return parse_header(data, 0, data.size(), limits);
}

// RFC 5322 §2.2.3 unfolding: removes every CRLF and bare LF (inside a field value each one is
// a fold, since a line not starting with WSP starts the next field), then
// trims leading and trailing whitespace. Other octets are untouched.
std::string unfold(std::string_view value);

// The display form of an unstructured field (Subject, Comments): unfolded, RFC 2047 encoded
// words decoded to UTF-8 (see encoding.hpp).
std::string display_value(const header_field& field);

}  // namespace hearth::mail
