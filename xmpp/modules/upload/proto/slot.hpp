// HTTP File Upload (XEP-0363), the pure part: the slots the server signs, the upload URLs'
// paths, and the Range header of a download. No I/O, no clock: callers pass the time.
//
// A slot is not stored: what the PUT may do (owner, size, type, expiry) travels in the
// "Authorization: Bearer TOKEN" header that the slot tells the client to send (XEP-0363 §5
// lets the service list such headers), signed with HMAC-SHA-256 under the server's secret over
// the file id and name too, so a token fits one URL only.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/result.hpp"

namespace hearth::xmpp::upload {

inline constexpr std::string_view ns_upload = "urn:xmpp:http:upload:0";
inline constexpr std::size_t max_filename = 255;      // octets of UTF-8
inline constexpr std::size_t max_content_type = 255;  // octets
inline constexpr std::size_t max_token = 2048;        // the whole Authorization value

struct slot {
  std::string id;        // 32 lowercase hex digits, random: the file's name in URLs
  std::string filename;  // as the client named it (checked by valid_filename)
  std::string owner;     // bare JID of the requester
  std::string content_type;
  std::uint64_t size = 0;
  std::int64_t expires = 0;  // seconds since the epoch; the PUT must start before
};

// A file name a URL may carry: 1..max_filename octets, no '/', '\\', control character or
// NUL, not "." or "..".
bool valid_filename(std::string_view name);
// "type/subtype" with RFC 9110 token characters and optional parameters without controls,
// at most max_content_type octets.
bool valid_content_type(std::string_view type);
// 32 lowercase hex digits.
bool valid_id(std::string_view id);

// The token for the slot's PUT (without "Bearer ").
std::string sign(const slot& s, std::string_view secret);
// The slot a token grants for this id and file name. Errors: "upload.bad_token" (malformed,
// forged, or for another URL), "upload.expired" (now >= expires).
result<slot> verify(std::string_view token, std::string_view id, std::string_view filename, std::string_view secret,
                    std::int64_t now);

// "/upload/ID/NAME" (NAME percent-encoded, RFC 3986 unreserved characters kept).
std::string url_path(std::string_view id, std::string_view filename);
struct path_parts {
  std::string id, filename;
};
// The id and name of a decoded request path "PREFIX ID/NAME"; nullopt when it is not one.
std::optional<path_parts> parse_path(std::string_view path, std::string_view prefix);

// RFC 9110 §14.2: the one range of "bytes=FIRST-LAST", "bytes=FIRST-" or "bytes=-SUFFIX" for
// a representation of `size` octets, with LAST clamped to size-1.
struct byte_range {
  std::uint64_t first = 0, last = 0;  // inclusive
};
enum class range_kind {
  whole,          // no usable Range: send everything (other units, several ranges, bad syntax)
  partial,        // send `range` with 206
  unsatisfiable,  // 416 with "Content-Range: bytes */SIZE"
};
struct range_answer {
  range_kind kind = range_kind::whole;
  byte_range range;
};
range_answer parse_range(std::string_view header, std::uint64_t size);

}  // namespace hearth::xmpp::upload
