// CATENATE (RFC 4469): the message APPEND builds from text parts and IMAP URLs (RFC 5092) that
// name messages, or parts of them, in the user's own mailboxes.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/imap/proto/types.hpp"
#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

// Where a CATENATE part's octets come from: text in hand (a TEXT part, or header fields a
// URL's section picks), or a range of a stored blob, read in pieces when the message is
// put together (copy_catenated), so that a 40 MB message named by URL is never held whole.
struct cat_source {
  std::string text;
  std::string blob_id;  // set: the octets are [offset, offset + length) of this blob
  std::uint64_t offset = 0, length = 0;
  std::uint64_t size() const { return blob_id.empty() ? text.size() : length; }
};

// Where the octets one URL names are: "/MAILBOX[;UIDVALIDITY=n]/;UID=n[/;SECTION=s][/;PARTIAL=o[.l]]",
// relative to this server, or the same after "imap://[user[;AUTH=*]@]host[:port]" where the
// user, when given, is the session's and the host is this server's name. Error code
// imap.badurl for anything else: another server or user, a missing mailbox, message or section,
// a UIDVALIDITY that changed, URLAUTH parts. A SECTION of a message of stream_min_bytes or
// more is found by reading the message once in pieces (mime_stream.hpp), not whole.
result<cat_source> resolve_imap_url(session_state& st, std::string_view url);

// Every part of a CATENATE resolved, in order, before any octet is copied, so that a bad URL
// refuses the whole command before anything is stored (RFC 4469 §5). Errors: imap.badurl (that
// URL in *failed_url), imap.toobig when the total passes `limit`.
result<std::vector<cat_source>> plan_catenate(session_state& st, const std::vector<cat_part>& parts,
                                              std::uint64_t limit, std::string* failed_url);

// Hands the planned octets to `sink` in order, in pieces of at most piece_bytes (a blob's
// range read piece by piece, core/blob/reader.hpp). Errors: the blob store's, or the sink's.
// Blocking: run it on the store pool.
inline constexpr std::size_t cat_piece_bytes = 256 * 1024;
result<void> copy_catenated(const blob::store& blobs, const std::vector<cat_source>& plan,
                            const std::function<result<void>(std::string_view)>& sink);

}  // namespace hearth::mail::imap
