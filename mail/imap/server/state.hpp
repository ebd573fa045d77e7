// The IMAP session's state and the reply a command handler builds (sans I/O: no Asio here).
//
// Handlers (one file per command group, see commands.hpp) run on the blocking pool while the
// session coroutine waits, so they may call the store and the blob store directly; they touch
// only the session_state they are given. Only the session writes to the socket.
#pragma once
#include <algorithm>
#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mail/imap/proto/types.hpp"
#include "mail/message/mime.hpp"
#include "mail/store/store.hpp"

namespace hearth::auth {
class authenticator;
}
namespace hearth::blob {
class store;
}
namespace hearth::mail {
class acl_store;
class seen_store;
}

namespace hearth::mail::imap {

class change_clock;
class message_cache;
class search_cache;

// What a user did to messages that another part of the server learns from (the spam filter:
// a move into Junk, a $Junk keyword). Handlers report it after the store change succeeded.
struct user_action {
  std::string account;
  std::string verb;                   // "append", "copy", "move", "store"
  std::string from;                   // source mailbox ("" for APPEND; STORE: the selected one)
  std::string to;                     // the mailbox the messages are in now
  // The messages, each by its blob where the handler has it at hand (APPEND, COPY, MOVE, what
  // STORE changed): a listener reading them later must not look for them by uid, as the next
  // command may already have moved them on. The others (STORE of a flag a message had) by uid.
  std::vector<mail::blob_ref> blobs;
  std::vector<std::uint32_t> uids;    // in `to`
  std::vector<std::string> flags;     // STORE (+FLAGS or FLAGS): the flags set; APPEND of one
                                      // message: its flags
};

// What every session of one server shares. All members outlive the sessions.
struct server_env {
  mail::store* store = nullptr;
  blob::store* blobs = nullptr;
  mail::acl_store* acl = nullptr;  // optional: shared mailboxes (acl.hpp); none without it
  // Optional: each sharee's own \Seen on shared mailboxes (private_seen.hpp); without it a
  // shared mailbox has the owner's \Seen for everyone.
  mail::seen_store* seen = nullptr;
  auth::authenticator* authn = nullptr;
  std::string hostname;
  std::uint64_t append_limit = 64ull << 20;  // RFC 7889 APPENDLIMIT, also the literal limit
  message_cache* cache = nullptr;            // optional: parsed messages shared by sessions
  search_cache* searches = nullptr;          // optional: SEARCH header fields by blob (summary.hpp)
  // Optional: whether a mailbox may have changed since a reading (change_clock.hpp), so that
  // the refresh after a command skips a read that would find nothing; without it every
  // command reads.
  change_clock* changes = nullptr;
  // Optional listener of user_action; called on the handler's thread, so it must only queue.
  std::function<void(const user_action&)> on_user_action;
  // RFC 9585 INPROGRESS (progress.hpp): a note at most every progress_interval, looked for
  // every progress_step messages. RFC 9585 §4 recommends 10-15 s between notes.
  std::chrono::milliseconds progress_interval{10000};
  std::uint32_t progress_step = 500;
};

// RFC 5267 §4.3: a SEARCH or SORT with RETURN (UPDATE), whose result the server keeps current
// with ESEARCH ADDTO/REMOVEFROM until CANCELUPDATE or the mailbox is closed.
struct search_context {
  std::string tag;
  bool uid = false;  // UID SEARCH/SORT: updates carry UIDs, else sequence numbers
  search_key key;
  std::optional<std::string> charset;
  std::vector<std::uint32_t> uids;  // the result as last reported: ascending, or in sort order
  std::vector<std::string> sort;    // SORT criteria as parsed; empty for a SEARCH context
};

// The selected mailbox as this session last reported it to the client: message sequence
// number n is uids[n-1] (RFC 9051 §2.3.1.2). Other sessions' changes reach the client only
// through refresh() (view.cpp), as untagged EXISTS/EXPUNGE/FETCH.
struct selected_mailbox {
  std::string name;     // in the owner's store
  std::string owner;    // the account whose store holds it: the session's own, or a sharer's
  std::string display;  // the name the client used ("shared/OWNER/NAME" for a shared one)
  std::string rights;   // RFC 4314 rights of the session's user (all of them on an own mailbox)
  bool read_only = false;
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 1;
  std::vector<std::uint32_t> uids;      // ascending
  std::vector<std::uint64_t> modseqs;   // parallel to uids: the modseq last reported
  std::uint64_t highestmodseq = 0;      // changes up to here are reflected above
  std::set<std::uint32_t> pending_expunge;  // expunged elsewhere, not yet announced
  // The change_clock reading taken before the reads that brought the view up to
  // highestmodseq (0: none, the next refresh reads).
  std::uint64_t synced = 0;
  std::vector<std::uint32_t> saved;     // RFC 5182 SEARCHRES "$" (uids)
  std::vector<std::string> keywords;    // keywords announced in FLAGS
  std::vector<search_context> contexts; // RFC 5267 UPDATE searches
  // RFC 3501 §2.3.2 \Recent (IMAP4rev1 sessions only): uid ranges (lo, hi] this session got
  // as recent, from store::claim_recent; ascending, a few entries.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> recent;

  bool is_recent(std::uint32_t uid) const {
    for (const auto& [lo, hi] : recent)
      if (uid > lo && uid <= hi) return true;
    return false;
  }
  std::uint32_t recent_count() const {
    std::uint32_t n = 0;
    for (const auto& [lo, hi] : recent) {
      auto a = std::upper_bound(uids.begin(), uids.end(), lo);
      auto b = std::upper_bound(uids.begin(), uids.end(), hi);
      n += static_cast<std::uint32_t>(b - a);
    }
    return n;
  }
};

// A parsed message kept for the next FETCH/SEARCH of the same blob (MIME parsing is the
// expensive part of BODYSTRUCTURE; field views point into `bytes`).
struct parsed_message {
  std::shared_ptr<const std::string> bytes;
  message_structure structure;
};

enum class phase { not_authenticated, authenticated, selected, logout };

// RFC 5465 NOTIFY as the session set it (notify.hpp): what the client asked for, and the
// session's own mailboxes as last reported to it, which later reports are the difference from.
struct notify_state {
  cmd_notify spec;
  std::map<std::string, mail::mailbox_info> known;  // by name
  // RFC 5464 annotations as last reported, by mailbox ("" for the server's), for the mailboxes
  // whose group asks for MailboxMetadataChange (and "" for ServerMetadataChange).
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> metadata;
};

struct session_state {
  const server_env* env = nullptr;
  phase ph = phase::not_authenticated;
  std::string account;    // canonical address once authenticated
  std::string remote_ip;
  bool tls = false;
  std::optional<std::string> channel_binding;  // RFC 9266 tls-exporter, for SCRAM-*-PLUS
  bool starttls_offered = true;  // port 143 (false on 993)
  bool condstore = false;        // RFC 7162 §3.1: CONDSTORE enabled (by ENABLE or use)
  bool qresync = false;          // RFC 7162 §3.2.3: ENABLE QRESYNC
  bool utf8 = false;             // RFC 6855 ENABLE UTF8=ACCEPT
  bool rev2 = false;             // ENABLE IMAP4rev2
  bool compressed = false;       // RFC 4978: COMPRESS DEFLATE active
  std::optional<selected_mailbox> sel;
  std::optional<notify_state> notify;  // after NOTIFY SET
  std::map<std::string, std::shared_ptr<parsed_message>> cache;  // by blob id, a few entries
  // The summaries (summary.hpp, encoded) the session built from the literals it streamed into
  // the blob store for the APPEND it runs next, by blob id: op_append stores each in the
  // message's own commit and clears them.
  std::map<std::string, std::string> streamed_summaries;
  // Set by the session while a long command runs: writes untagged lines (CRLF-terminated) to
  // the client before the command's reply, from the handler's thread (progress.hpp).
  std::function<void(std::string_view)> push;
  // The change_clock reading that execute() takes before the command's first read (0 outside
  // a command, or without a clock).
  std::uint64_t cmd_seq = 0;

  bool selected() const { return ph == phase::selected && sel.has_value(); }
};

// What a handler asks the session to do after writing the reply.
enum class action { none, starttls, logout, authenticate, idle, compress };

// Octets of a stored blob that belong in reply::out at offset `at` (before out[at]): a large
// body named by FETCH is read from the blob store piece by piece while the session writes it
// (core/blob/reader.hpp), instead of being copied into `out` whole.
struct deferred_bytes {
  std::size_t at = 0;
  std::string blob_id;
  std::uint64_t offset = 0, length = 0;
};

// A handler fills `out` with untagged responses and sets the tagged status; execute()
// (commands.hpp) adds the mailbox updates and then the tagged line.
struct reply {
  std::string out;  // untagged responses, CRLF-terminated
  std::vector<deferred_bytes> deferred;  // ascending `at`; only the session sends them
  std::string status = "OK";  // "OK", "NO", "BAD"
  std::string text;           // after the status: "[CODE ...] human text"
  action act = action::none;
  std::chrono::milliseconds delay{0};  // login throttling: the session waits before writing

  void ok(std::string t) { status = "OK", text = std::move(t); }
  void no(std::string t) { status = "NO", text = std::move(t); }
  void bad(std::string t) { status = "BAD", text = std::move(t); }

  void untagged(std::string_view line) {
    out += "* ";
    out += line;
    out += "\r\n";
  }
  void raw(std::string_view bytes) { out += bytes; }
  void tagged(std::string_view tag, std::string_view status, std::string_view text) {
    out += tag;
    out += ' ';
    out += status;
    out += ' ';
    out += text;
    out += "\r\n";
  }
};

}  // namespace hearth::mail::imap
