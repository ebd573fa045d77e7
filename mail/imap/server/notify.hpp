// RFC 5465 NOTIFY: what changed in the session's mailboxes since it last told the client, as
// the untagged responses the client asked for. Sans I/O: the session calls notify_updates when
// the event bus says something changed and the client is waiting (between commands, or in
// IDLE); execute() calls it after each command.
//
// Changes are found by difference, not from the events themselves: the session's own
// mailboxes as they are now (one store::list) against st.notify->known. So a burst of events
// costs one look, and nothing is missed when events are coalesced.
//
// Responses (RFC 5465 §5):
//   the selected mailbox: EXISTS, FETCH (flags), EXPUNGE/VANISHED as refresh() sends them,
//     and for MessageNew with fetch-atts a FETCH of the new messages with those attributes;
//     SELECTED-DELAYED holds expunges back to a command that allows them.
//   another mailbox, MessageNew/MessageExpunge: STATUS (MESSAGES UIDNEXT UIDVALIDITY UNSEEN
//     [HIGHESTMODSEQ under CONDSTORE]); FlagChange alone: STATUS (UIDVALIDITY UNSEEN
//     HIGHESTMODSEQ).
//   MailboxName: LIST for a new mailbox, LIST (\NonExistent) for a deleted one, LIST with
//     ("OLDNAME" (old)) for a renamed one (RFC 5258 extended data).
//   SubscriptionChange: LIST with or without \Subscribed.
//   MailboxMetadataChange / ServerMetadataChange (§5.6, §5.7; required with METADATA): an
//     unsolicited METADATA naming the entries that changed, without their values (RFC 5464
//     §4.4.2), for the mailbox or for the server ("").
// A mailbox takes its events from the first event group whose filter names it.
#pragma once
#include <string>
#include <vector>

#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

// The events Hearth can report (NO [BADEVENT (...)] lists them).
inline constexpr const char* supported_events =
    "MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange";

// After NOTIFY SET: takes the baseline; with SET STATUS, a STATUS line for each watched
// mailbox other than the selected one (RFC 5465 §3.1).
void notify_begin(session_state& st, reply& r);

// Adds the responses for what changed since the last call. selected_too: also the selected
// mailbox's changes (the unsolicited path; after a command execute() has already sent them).
// allow_expunge: EXPUNGE may be sent now (not during FETCH/STORE/SEARCH; never for
// SELECTED-DELAYED outside a command). `own`: mailboxes the session's own command just
// changed; their new state is taken without a report (RFC 5465 §5: the server SHOULD omit
// events the client caused). Store errors leave the baseline as it was (the next call tries
// again).
void notify_updates(session_state& st, reply& r, bool selected_too, bool allow_expunge,
                    const std::vector<std::string>& own = {});

// The mailbox names a command changes (APPEND, CREATE, DELETE, RENAME, (UN)SUBSCRIBE, COPY
// and MOVE targets), for notify_updates' `own`.
std::vector<std::string> changed_by(const command& cmd);

}  // namespace hearth::mail::imap
