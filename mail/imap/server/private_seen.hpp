// Per-user \Seen on shared mailboxes (mail/store/seen.hpp), as the handlers read and write it.
//
// On the session's own mailboxes every function here is the store's own call, unchanged, so an
// unshared mailbox pays nothing. On another user's mailbox (a sharee's session, with the seen
// store configured) \Seen is the session user's own: read from and written to the seen store,
// never to the message's flags, and a message's modseq is the greater of the message's and of
// the user's last \Seen change (so CONDSTORE and QRESYNC report the user's own changes).
// Errors: the stores'.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

// Whether the session's \Seen on `owner`'s mailboxes is its own.
bool private_seen(const session_state& st, std::string_view owner);

// store::fetch, store::fetch_flags, store::view, store::changes_since and store::status as the
// session's user sees them (STATUS UNSEEN counts the user's unseen messages).
result<std::vector<mail::message_info>> fetch_as_user(const session_state& st, std::string_view owner,
                                                      std::string_view mailbox, const mail::uid_set& uids);
result<std::vector<mail::message_info>> fetch_flags_as_user(const session_state& st, std::string_view owner,
                                                            std::string_view mailbox);
result<mail::mailbox_view> view_as_user(const session_state& st, std::string_view owner, std::string_view mailbox);
result<mail::changes> changes_as_user(const session_state& st, std::string_view owner, std::string_view mailbox,
                                      std::uint64_t since);
result<mail::mailbox_info> status_as_user(const session_state& st, std::string_view owner, std::string_view mailbox);

// store::store_flags on `uids` (ascending) as the user: \Seen goes to the user's own state, the
// other flags to the messages (FLAGS replaces them and keeps the owner's \Seen). `updated` and
// `modified` as the store gives them, with the user's flags and modseqs.
result<mail::flags_result> store_flags_as_user(const session_state& st, std::string_view owner,
                                               std::string_view mailbox, const std::vector<std::uint32_t>& uids,
                                               mail::flag_mode mode, const std::vector<std::string>& flags,
                                               std::optional<std::uint64_t> unchanged_since = std::nullopt);

// For a message the user adds to `owner`'s mailbox (APPEND, COPY): takes \Seen out of `flags`
// when it is the user's own, and returns whether it was there; then mark_seen_as_user sets it.
bool take_seen(const session_state& st, std::string_view owner, std::vector<std::string>& flags);
result<void> mark_seen_as_user(const session_state& st, std::string_view owner, std::string_view mailbox,
                               const std::vector<std::uint32_t>& uids);

}  // namespace hearth::mail::imap
