// CATENATE (RFC 4469): the message APPEND builds from text parts and IMAP URLs (RFC 5092) that
// name messages, or parts of them, in the user's own mailboxes.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/imap/proto/types.hpp"
#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

// The octets one URL names: "/MAILBOX[;UIDVALIDITY=n]/;UID=n[/;SECTION=s][/;PARTIAL=o[.l]]",
// relative to this server, or the same after "imap://[user[;AUTH=*]@]host[:port]" where the
// user, when given, is the session's and the host is this server's name. Error code
// imap.badurl for anything else: another server or user, a missing mailbox, message or section,
// a UIDVALIDITY that changed, URLAUTH parts.
result<std::string> resolve_imap_url(session_state& st, std::string_view url);

// The concatenation of `parts`, at most `limit` octets (error imap.toobig beyond); a URL that
// does not resolve gives imap.badurl, with that URL in *failed_url.
result<std::string> catenate(session_state& st, const std::vector<cat_part>& parts, std::uint64_t limit,
                             std::string* failed_url);

}  // namespace hearth::mail::imap
