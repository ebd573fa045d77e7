// RFC 8970 PREVIEW: a short plain-text abstract of a message.
#pragma once

#include <string>
#include <string_view>

#include "mail/message/mime.hpp"

namespace hearth::mail::imap {

// Up to `max_chars` Unicode characters (UTF-8) of the message's first text part that is not an
// attachment: text/plain preferred, else text/html with its tags, style and script dropped and
// the common entities decoded. Transfer encoding and charset are decoded; runs of whitespace
// become one space, none at either end. "" when the message has no such text.
// `bytes` is the whole message that `root` was parsed from.
std::string preview_text(const body_part& root, std::string_view bytes, std::size_t max_chars = 200);

}  // namespace hearth::mail::imap
