// The selected mailbox's view (state.hpp selected_mailbox): loading it, announcing other
// sessions' changes, sequence sets, message bytes, and store errors in IMAP terms.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/util/result.hpp"
#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

struct mailbox_ref;  // acl.hpp

// Loads the mailbox into st.sel (SELECT/EXAMINE), with the rights `ref` carries. Errors from
// the store.
result<void> open_view(session_state& st, const mailbox_ref& ref, bool read_only);
// Claims the mailbox's recent messages up to uid `upto` for an IMAP4rev1 session (store::
// claim_recent); a read-only view only looks.
void claim_recent(session_state& st, std::uint32_t upto);

// Announces changes made since the view's highestmodseq: new messages (EXISTS), flag changes
// (FETCH, with MODSEQ once CONDSTORE is on), and — when allow_expunge — expunges (EXPUNGE, or
// VANISHED under QRESYNC). Store errors are ignored (the next command tries again).
void refresh(session_state& st, reply& r, bool allow_expunge);

// The message's flag list as this session shows it: the stored flags, and \Recent for an
// IMAP4rev1 session that got the message as recent (RFC 3501 §2.3.2).
std::string session_flags(const session_state& st, const mail::message_info& m);

// FLAGS and PERMANENTFLAGS for the view (system flags, then sel.keywords), as SELECT sends them.
void write_flags(const selected_mailbox& sel, reply& r);
// RFC 3501 §7.2.6 / RFC 9051 §7.3.5: a client learns the keywords from FLAGS, so before a FETCH
// shows `flags`, any keyword among them not yet announced is added to sel.keywords and FLAGS
// and PERMANENTFLAGS are sent again.
void announce_keywords(session_state& st, reply& r, const std::vector<std::string>& flags);

// The uids a sequence set names in the view, ascending, without duplicates; numbers beyond
// the view are ignored (RFC 9051 §6.4.8 UID ranges), "$" is the saved result.
std::vector<std::uint32_t> resolve(const selected_mailbox& sel, const sequence_set& set, bool uid);
// 1-based sequence number of `uid`, or 0 when the view lacks it.
std::uint32_t seq_of(const selected_mailbox& sel, std::uint32_t uid);
// Store uid ranges for a sorted uid list.
mail::uid_set to_uid_set(const std::vector<std::uint32_t>& uids);

// The message's bytes and MIME structure, cached per session by blob id.
result<std::shared_ptr<parsed_message>> load_message(session_state& st, const mail::message_info& m);

// Store error -> "NO [CODE] text" (or BAD for syntax-like errors) on r.
void fail(reply& r, const hearth::error& e);

// Date-time as IMAP writes it: "dd-Mon-yyyy hh:mm:ss +0000" (quoted by the caller).
std::string imap_date_time(std::int64_t unix_seconds);

}  // namespace hearth::mail::imap
