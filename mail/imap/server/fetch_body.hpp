// FETCH data derived from a message's bytes (RFC 9051 §7.5.2): ENVELOPE, BODY/BODYSTRUCTURE,
// BODY[section] and BINARY[section] (RFC 3516). Pure functions over a parsed message.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "mail/imap/proto/types.hpp"
#include "mail/message/mime.hpp"

namespace hearth::mail::imap {

// envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP env-to
//            SP env-cc SP env-bcc SP env-in-reply-to SP env-message-id ")"
// `header` is the message's (or an encapsulated message's) header section.
std::string envelope(const header_section& header, bool utf8);

// body (non-extensible BODY when !extensible) for `part` and its children.
std::string body_structure(const body_part& part, bool extensible, bool utf8);

// The octets BODY[section] names, or nullopt when the section does not exist.
std::optional<std::string> section_bytes(const message_structure& m, std::string_view bytes, const section_spec& s);
// Where those octets lie in a message of `size` octets: [first, second). nullopt when the
// section does not exist or is HEADER.FIELDS[.NOT], which is not one range: section_fields
// builds it from the parsed header fields alone (no message bytes needed).
std::optional<std::pair<std::size_t, std::size_t>> section_range(const message_structure& m, std::size_t size,
                                                                 const section_spec& s);
std::optional<std::string> section_fields(const message_structure& m, const section_spec& s);

// BINARY[part]: the part's content with its transfer encoding removed. nullopt: no such part;
// `unknown_cte` set when the encoding is not one we can decode (RFC 3516 §4.3 UNKNOWN-CTE).
std::optional<std::string> binary_bytes(const message_structure& m, std::string_view bytes,
                                        const std::vector<std::uint32_t>& part, bool& unknown_cte);

// "HEADER.FIELDS (FROM TO)" etc. as the response echoes the section.
std::string section_name(const section_spec& s);

}  // namespace hearth::mail::imap
