// RFC 8474 OBJECTID: the identifiers Hearth gives mailboxes and messages.
// objectid = 1*255(ALPHA / DIGIT / "_" / "-") (RFC 8474 §7). A leading letter, as in the RFC's
// examples, keeps an id from looking like a number to clients: hence "F" and "M".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::mail::imap {

// RFC 8474 §4: MAILBOXID survives RENAME and is never reused. The store's UIDVALIDITY has both
// properties (unique in the database, kept by RENAME), so it is the id. RENAME of INBOX moves
// the messages to a new mailbox with new UIDs: that mailbox gets a new id, INBOX keeps its own.
inline std::string mailbox_id(std::uint32_t uidvalidity) { return "F" + std::to_string(uidvalidity); }

// RFC 8474 §5.1: EMAILID names the immutable content and stays the same across COPY and MOVE.
// The blob id is the SHA-256 of the bytes, so copies share it; 128 of its bits are enough to
// keep ids distinct and responses short. Identical messages share an EMAILID, which §5.1 allows.
inline std::string email_id(std::string_view blob_id) { return "M" + std::string(blob_id.substr(0, 32)); }

}  // namespace hearth::mail::imap
