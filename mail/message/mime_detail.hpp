// Pieces of the MIME structure parser that the whole-message parser (mime.cpp) and the
// streaming one (mime_stream.cpp) share, so that both decide every part the same way.
#pragma once
#include <string_view>

#include "mail/message/mime.hpp"

namespace hearth::mail::detail {

// text/plain; charset=us-ascii, the RFC 2045 §5.2 default.
content_type default_text();

// RFC 2046 §5.1.1: dash-boundary [ "--" ] *LWSP-char at the start of a line (its line ending
// may be included). Returns 0 for no delimiter, 1 for a delimiter, 2 for the close delimiter.
int delimiter_kind(std::string_view line, std::string_view boundary);

// A multipart or message part that cannot be split becomes a text/plain leaf.
void degrade(body_part& p, problem why);

// Fills type, encoding, disposition, id, description, location, md5 and language from
// p.header, with the defaults of RFC 2045 §5.2 and RFC 2046 §5.1.5 (digest children).
void describe(body_part& p, bool digest_child);

enum class entity_kind { leaf, multipart, encapsulated };

// What a described part at `depth` holds, once `parts` parts (itself included) are counted:
// degrades it (depth, missing boundary, an encoded message, the part limit) where the
// whole-message parser does. multipart: its boundary parameter is usable; encapsulated: one
// message/rfc822 child parsed over its body.
entity_kind classify(body_part& p, unsigned depth, std::size_t parts, const structure_limits& limits);

}  // namespace hearth::mail::detail
