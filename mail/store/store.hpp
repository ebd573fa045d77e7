// The mail store shared by SMTP delivery, IMAP and POP3: per-account mailboxes with
// UIDVALIDITY/UIDNEXT/HIGHESTMODSEQ, messages with UID, modseq, flags, internal date and size;
// bodies live in the content-addressed blob store (one blob shared by every copy).
//
//   auto st = mail::store::open(data_dir / "hearth.db", blobs, dir.get(), &bus).value();
//   auto r = st->deliver("alice@home.test", message_bytes);        // SMTP, into INBOX
//   auto list = st->fetch("alice@home.test", "INBOX", {{1, mail::uid_max}});
//
// Accounts are named by their address, normalized with directory::normalize_address (so
// "Alice@HOME.test" and "alice@home.test" are one account); rows store the normalized address.
// When a directory is given, the account must exist there ("mail.no_account") and its
// quota_bytes applies. The default mailboxes (INBOX, and the RFC 6154 special-use Sent, Drafts,
// Trash, Junk, Archive) are created on the first call that names the account. Removing an
// account from the directory does not remove its mail (a later `user del --purge` can).
//
// Mailbox names: UTF-8 as given (IMAP's modified UTF-7 is the IMAP layer's concern), hierarchy
// delimiter "/", at most max_name_bytes octets and max_depth levels, no empty level, no control
// characters. "INBOX" is case-insensitive (RFC 9051 §5.1) and always reported as "INBOX".
//
// Durability (ARCHITECTURE.md principle 3): every change that adds or moves mail commits with
// durability::full before it returns; a message's blob is written and fsync'd BEFORE its row
// commits, so a row never names a missing blob. Bodies the blob store keeps in the database
// (blob::store::inline_limit(): up to [database] inline_max, or all with blob_store =
// "database"; the blob store's database must then be this store's) are written by append() into
// the blob table in the row's own transaction instead: one commit, one fsync (shared with
// concurrent commits by the group commit), and still no row without its blob. Flag changes (store_flags) and expunge commit
// with durability::normal, as Dovecot's default (mail_fsync = optimized) does: they survive a
// crash of the process, a power loss may undo the last ones (a flag unset again, an expunged
// message back), and the next fsync'd commit makes them durable. Blob garbage: when
// move/remove deletes the last row naming a blob, the blob file is removed after that commit,
// under a lock on the blob, re-checking that no row names it (an append holds the same lock
// and re-checks the blob under it); an expunge's blobs wait until a later fsync'd commit covers the
// expunge (later appends, or one marker commit per 64 of them), so a power loss never
// brings back a row without its blob. A crash in between leaves orphan blob files (wasted
// space, never lost mail).
// NOTE: the blob store is shared; a blob the outbound queue holds with the very same bytes as a
// stored message would be removed with the message's last copy. The queue must keep its own
// reference (see the report: a shared reference table belongs in core/blob).
//
// Events: after each commit, "mail.new" (key = account address, data = mailbox name) for
// append/deliver/copy/move-target, and "mail.changed" (same key/data) for flag changes,
// expunge, move-source, rename and delete, and also create, (un)subscribe and annotation changes
// (IMAP NOTIFY's MailboxName, SubscriptionChange and metadata events; data "" for the server's
// annotations). Published on the caller's thread.
//
// Thread-safety: every method may be called from any thread at once (one database connection
// per thread); several processes (or nodes, on PostgreSQL) may share the database. Writes to one
// account serialize on its write lock (core/sql/scope.hpp; on SQLite one lock for all), which
// also orders uid and modseq allocation across processes.
// Every call blocks on disk: run it on the blocking pool from a session coroutine.
//
// Errors (hearth::result codes):
//   "mail.invalid"     bad account address, mailbox name, flag, uid set, size
//   "mail.no_account"  the directory has no such account
//   "mail.no_mailbox"  no such mailbox
//   "mail.exists"      create/rename onto an existing name
//   "mail.forbidden"   DELETE of INBOX (RFC 9051 §6.3.4), rename onto INBOX
//   "mail.quota"       the account's quota would be exceeded (RFC 9208 / SMTP 452/552)
//   "mail.too_big"     a message larger than max_message_bytes
//   "mail.no_blob"     append_blob / copy of a blob id that is not in the blob store
//   "db.*", "blob.*"   storage failures (see core/sql/sql.hpp, core/blob/store.hpp)
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace hearth::blob {
class store;
}
namespace hearth::events {
class bus;
}
namespace hearth::directory {
class directory;
}

namespace hearth::mail {

inline constexpr std::size_t max_name_bytes = 512;
inline constexpr int max_depth = 32;
inline constexpr std::size_t max_flags = 128;          // per message, system flags included
inline constexpr std::size_t max_keyword_bytes = 128;  // per keyword
inline constexpr std::uint64_t max_message_bytes = 256ull * 1024 * 1024;
inline constexpr std::uint32_t uid_max = 0xffffffffu;

// One inclusive range of UIDs; a set is a list of them (order and overlaps do not matter).
// IMAP "*" maps to uid_max.
struct uid_range {
  std::uint32_t first = 1;
  std::uint32_t last = uid_max;
};
using uid_set = std::vector<uid_range>;

struct mailbox_info {
  std::string name;
  std::string special_use;  // "", "\\Sent", "\\Drafts", "\\Trash", "\\Junk", "\\Archive" (RFC 6154)
  bool subscribed = true;
  std::uint32_t uidvalidity = 0;  // nonzero; never reused by another mailbox of this database
  std::uint32_t uidnext = 1;
  std::uint64_t highestmodseq = 1;  // RFC 7162
  std::uint32_t messages = 0;
  std::uint32_t unseen = 0;  // messages without \Seen
  std::uint32_t deleted = 0; // messages with \Deleted
  std::uint64_t bytes = 0;   // sum of message sizes
  std::uint32_t recent = 0;  // RFC 3501 \Recent: messages no session has claimed (claim_recent)
};

struct message_info {
  std::uint32_t uid = 0;
  std::uint64_t modseq = 0;
  // System flags in canonical case ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
  // "\\Draft") first, in that order, then keywords as first stored, no duplicates.
  std::vector<std::string> flags;
  std::int64_t internal_date = 0;  // Unix seconds
  // RFC 8514: Unix seconds when the message was put in this mailbox; nullopt for messages stored
  // before the store recorded it.
  std::optional<std::int64_t> save_date;
  std::uint64_t size = 0;          // octets of the blob
  std::string blob_id;             // read the bytes with blob::store::get / path_of
};

// One message as a selected view needs it (IMAP SELECT): no flags, no blob.
struct view_entry {
  std::uint32_t uid = 0;
  std::uint64_t modseq = 0;
};

struct mailbox_view {
  std::vector<view_entry> messages;   // ascending by uid
  std::vector<std::string> keywords;  // keywords set on some message, sorted, no duplicates
  // The mailbox as of the same read (what SELECT reports besides the messages).
  std::string name;  // canonical
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 1;
  std::uint64_t highestmodseq = 1;
};

// A stored message's bytes, for a reader that must not depend on where the message is by the
// time it reads: a later command may have moved it (its blob stays while any mailbox holds it).
struct blob_ref {
  std::string id;
  std::uint64_t size = 0;
};

struct append_result {
  std::uint32_t uidvalidity = 0;
  std::uint32_t uid = 0;
  std::uint64_t modseq = 0;
  message_info message;  // the message as stored (what fetch() of its uid returns)
};

// RFC 4315 COPYUID / RFC 6851 MOVE: source uid → new uid in the target, ascending by source.
struct copy_result {
  std::uint32_t uidvalidity = 0;  // of the target
  std::vector<std::pair<std::uint32_t, std::uint32_t>> uids;
  std::vector<blob_ref> blobs;  // each copy's blob, in the order of uids
};

struct expunge_result {
  std::vector<std::uint32_t> uids;  // ascending
  std::uint64_t modseq = 0;         // the mailbox's new HIGHESTMODSEQ (unchanged if none)
};

enum class flag_mode { set, add, remove };

struct flags_result {
  std::vector<message_info> updated;         // messages whose flags changed, with the new modseq
  std::vector<std::uint32_t> modified;       // RFC 7162 §3.2: skipped by UNCHANGEDSINCE
};

// RFC 7162 / RFC 7162 §3.2.5 (QRESYNC): what changed after `since`.
struct changes {
  std::uint64_t highestmodseq = 0;
  std::vector<message_info> changed;   // present messages with modseq > since, by uid
  std::vector<std::uint32_t> vanished; // expunged uids with expunge modseq > since, ascending
};

struct quota_usage {
  std::uint64_t used_bytes = 0;   // sum of all message sizes (each copy counts)
  std::uint64_t limit_bytes = 0;  // 0 = unlimited
  std::uint64_t messages = 0;
};

// Validates a flag name: one of the five system flags (any case) or an IMAP atom keyword
// (RFC 9051 §9 flag-keyword; no "\\Recent"). Returns the canonical form or nullopt.
std::optional<std::string> canonical_flag(std::string_view flag);
// Validates and canonicalizes a mailbox name (see the header comment). nullopt if invalid.
std::optional<std::string> canonical_mailbox_name(std::string_view name);

// The interface (STYLE.md habit 7); one implementation on core/sql, for SQLite and PostgreSQL.
class store {
 public:
  virtual ~store() = default;

  // Opens `target` (the path of a SQLite file, the directory's hearth.db, or a PostgreSQL URL:
  // see core/sql open()) and applies the "mail" migrations.
  // `blobs` must outlive the store; `dir` and `bus` are optional (nullptr: no account check
  // and no quota / no events) and must outlive it too.
  // Errors: "db.open", "db.schema_newer", "db.migration".
  static result<std::unique_ptr<store>> open(const std::string& target, blob::store& blobs,
                                             directory::directory* dir = nullptr, events::bus* bus = nullptr);

  // ---- mailboxes ----
  // Every mailbox of the account by name (INBOX first), creating the defaults; recent is 0.
  virtual result<std::vector<mailbox_info>> list(std::string_view account) = 0;
  // Errors: no_mailbox.
  virtual result<mailbox_info> status(std::string_view account, std::string_view mailbox) = 0;
  // special_use: "" or one of the RFC 6154 attributes (RFC 6154 §5.3 CREATE-SPECIAL-USE).
  // Parents are not created. Errors: invalid, exists.
  virtual result<mailbox_info> create(std::string_view account, std::string_view name,
                                      std::string_view special_use = "") = 0;
  // RFC 9051 §6.3.6: renames the mailbox and its inferiors (keeping UIDVALIDITY); renaming
  // INBOX creates `to` with INBOX's messages (new UIDs) and leaves INBOX empty.
  // Errors: invalid, no_mailbox, exists, forbidden (to INBOX).
  virtual result<void> rename(std::string_view account, std::string_view from, std::string_view to) = 0;
  // Deletes the mailbox and its messages (not its inferiors). Errors: no_mailbox, forbidden.
  virtual result<void> remove(std::string_view account, std::string_view name) = 0;
  // RFC 9051 §6.3.7: the name need not exist; a subscription is kept when its mailbox is
  // deleted, and applies again when the name is created. Errors: invalid, no_mailbox
  // (unsubscribing a name that neither exists nor is subscribed).
  virtual result<void> subscribe(std::string_view account, std::string_view name, bool subscribed) = 0;
  // Subscribed names that have no mailbox (RFC 5258 \NonExistent), sorted.
  virtual result<std::vector<std::string>> absent_subscriptions(std::string_view account) = 0;
  // RFC 3501 §2.3.2: a message is \Recent for exactly one session. Raises the mailbox's recent
  // mark to `upto` (never lowers it) and returns the mark before, so the caller's recent
  // messages are the uids in (returned, upto]. Errors: invalid, no_mailbox.
  virtual result<std::uint32_t> claim_recent(std::string_view account, std::string_view mailbox,
                                             std::uint32_t upto) = 0;
  // RFC 5464 annotations of a mailbox, or of the account's server view when `mailbox` is
  // empty: every entry (lower-case "/private/..." or "/shared/..." names) with its value,
  // sorted by name; the caller filters by depth. Errors: invalid, no_mailbox.
  virtual result<std::vector<std::pair<std::string, std::string>>> metadata(std::string_view account,
                                                                            std::string_view mailbox) = 0;
  // Sets (a value) or removes (nullopt) entries in one transaction; entry names already
  // validated and lower-cased. Errors: invalid, no_mailbox, "mail.metadata_toomany" when the
  // mailbox would hold more than max_metadata_entries.
  virtual result<void> set_metadata(std::string_view account, std::string_view mailbox,
                                    const std::vector<std::pair<std::string, std::optional<std::string>>>& values) = 0;
  static constexpr std::size_t max_metadata_entries = 200;

  // ---- messages ----
  // Stores `bytes` (blob first, then the row) and returns once durable. internal_date: Unix
  // seconds, nullopt = now. Errors: invalid, no_account, no_mailbox, quota, too_big.
  virtual result<append_result> append(std::string_view account, std::string_view mailbox, std::string_view bytes,
                                       const std::vector<std::string>& flags = {},
                                       std::optional<std::int64_t> internal_date = std::nullopt) = 0;
  // The same for content already in the blob store (streamed by the caller with
  // blob::store::begin). Errors: as append, plus no_blob (also when an expunge of the last
  // message with identical bytes removed the blob between the caller's commit and this call:
  // write the blob again and retry). `meta`, when not empty, is the blob's derived data (as
  // put_blob_meta), written in the same transaction as the row, so that no reader and no crash
  // ever sees the message without it.
  virtual result<append_result> append_blob(std::string_view account, std::string_view mailbox, std::string_view blob_id,
                                            const std::vector<std::string>& flags = {},
                                            std::optional<std::int64_t> internal_date = std::nullopt,
                                            std::string_view meta = {}) = 0;
  // SMTP local delivery: append to INBOX, no flags, internal date now.
  virtual result<append_result> deliver(std::string_view account, std::string_view bytes) = 0;

  // Metadata of the messages whose uid is in `uids`, ascending by uid. Errors: no_mailbox.
  virtual result<std::vector<message_info>> fetch(std::string_view account, std::string_view mailbox,
                                                  const uid_set& uids) = 0;
  // Every message's uid and modseq and the keywords in use: what SELECT needs, without the
  // per-message flags and blob ids of fetch(). Errors: no_mailbox.
  virtual result<mailbox_view> view(std::string_view account, std::string_view mailbox) = 0;
  // Every message's uid, modseq and flags, ascending by uid; internal_date, size and blob_id are
  // left empty (flag-only SEARCH reads no more than that). Errors: no_mailbox.
  virtual result<std::vector<message_info>> fetch_flags(std::string_view account, std::string_view mailbox) = 0;
  // STORE: each changed message gets a new modseq. With unchanged_since, messages whose modseq
  // is greater are left alone and listed in `modified` (RFC 7162 §3.2).
  // Errors: invalid (bad flag), no_mailbox.
  virtual result<flags_result> store_flags(std::string_view account, std::string_view mailbox, const uid_set& uids,
                                           flag_mode mode, const std::vector<std::string>& flags,
                                           std::optional<std::uint64_t> unchanged_since = std::nullopt) = 0;
  // COPY: new uids in `to`, same flags and internal date, same blob. Errors: no_mailbox, quota.
  virtual result<copy_result> copy(std::string_view account, std::string_view from, const uid_set& uids,
                                   std::string_view to) = 0;
  // MOVE (RFC 6851): copy, then expunge the sources, in one transaction (no quota check: the
  // account's usage does not grow). from == to is allowed: the messages get new uids there.
  // Errors: no_mailbox.
  virtual result<copy_result> move(std::string_view account, std::string_view from, const uid_set& uids,
                                   std::string_view to) = 0;
  // EXPUNGE: every \Deleted message, or (UID EXPUNGE, RFC 4315) only those also in `uids`.
  virtual result<expunge_result> expunge(std::string_view account, std::string_view mailbox,
                                         const std::optional<uid_set>& uids = std::nullopt) = 0;
  // Changes after `since` (CONDSTORE/QRESYNC). Errors: no_mailbox.
  virtual result<changes> changes_since(std::string_view account, std::string_view mailbox, std::uint64_t since) = 0;

  // ---- quota ----
  virtual result<quota_usage> usage(std::string_view account) = 0;

  // ---- backup ----
  // Every blob id that some message of some account names, sorted, no duplicates: what a copy
  // of this database needs from the blob store (`hearth backup`).
  virtual result<std::vector<std::string>> blob_ids() = 0;

  // ---- data derived from a blob (a cache; not an account's data) ----
  // Opaque bytes a protocol layer computed from a blob's immutable content (IMAP: the header
  // section and BODYSTRUCTURE), so that it need not read and parse the blob again. Parallel to
  // `blob_ids`: nullopt where nothing is stored. Rows go with the blob's last message.
  virtual result<std::vector<std::optional<std::string>>> blob_meta(const std::vector<std::string>& blob_ids) = 0;
  // Stores (replaces) the data for a blob that some message names; a no-op otherwise.
  // Not fsync'd: losing it only costs a recomputation.
  virtual result<void> put_blob_meta(std::string_view blob_id, std::string_view data) = 0;
};

}  // namespace hearth::mail
