// Typed IMAP commands produced by the parser (RFC 9051 §6, plus the extensions Hearth announces).
// Syntax only: nothing here knows about mailboxes that exist or the session's state.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace hearth::mail::imap {

// RFC 9051 §9 sequence-set. A bound of `star` stands for "*" (the largest number in use);
// 0 is never a valid seq-number, so it is free to mean "*". `saved` is "$" (RFC 5182 SEARCHRES).
struct seq_range {
  static constexpr std::uint32_t star = 0;
  std::uint32_t lo = 0, hi = 0;  // as written: "*:1" keeps lo=star, hi=1 (order is not significant)
  bool operator==(const seq_range&) const = default;
};
struct sequence_set {
  std::vector<seq_range> ranges;
  bool saved = false;
  bool operator==(const sequence_set&) const = default;
};

struct date {  // RFC 9051 date: day-month-year
  int year = 0, month = 0, day = 0;
  bool operator==(const date&) const = default;
};
struct date_time {  // RFC 9051 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz"
  date day;
  int hour = 0, minute = 0, second = 0;
  int zone_minutes = 0;  // east of UTC
  bool operator==(const date_time&) const = default;
};

// One search-key (RFC 9051 §6.4.4). `name` is upper-case: "ALL", "ANSWERED", "FROM", "HEADER",
// "BEFORE", "LARGER", "UID", "MODSEQ", "NOT", "OR", "AND" (a parenthesized list or the implicit
// conjunction of the top level), "SEQSET" (a bare sequence-set).
struct search_key {
  std::string name;
  std::string text;            // FROM/SUBJECT/BODY/TEXT/...: the string; HEADER: the field; KEYWORD: the flag
  std::string text2;           // HEADER: the value
  std::uint64_t number = 0;    // LARGER/SMALLER size, MODSEQ value
  date on;                     // BEFORE/ON/SINCE/SENT*
  sequence_set set;            // UID and SEQSET
  std::vector<search_key> children;  // NOT: 1, OR: 2, AND: n
};

// section-spec (RFC 9051 §9): part numbers then an optional text part.
struct section_spec {
  std::vector<std::uint32_t> part;  // "1.2" -> {1, 2}
  std::string text;                 // "", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME"
  std::vector<std::string> fields;  // HEADER.FIELDS (From To): as written
  bool operator==(const section_spec&) const = default;
};
struct partial {
  std::uint64_t offset = 0, length = 0;
  bool operator==(const partial&) const = default;
};
// One fetch-att. `name` is upper-case: ENVELOPE FLAGS INTERNALDATE RFC822 RFC822.HEADER
// RFC822.TEXT RFC822.SIZE BODY BODYSTRUCTURE UID MODSEQ BINARY BINARY.SIZE; `has_section` says
// "BODY[...]" rather than "BODY" (which is the non-extensible BODYSTRUCTURE).
struct fetch_att {
  std::string name;
  bool has_section = false;
  bool peek = false;  // BODY.PEEK / BINARY.PEEK
  section_spec section;
  std::optional<partial> range;
};

struct cmd_none {};  // CAPABILITY NOOP LOGOUT STARTTLS IDLE CLOSE UNSELECT EXPUNGE NAMESPACE
struct cmd_authenticate {
  std::string mechanism;               // upper-case
  std::optional<std::string> initial;  // RFC 4959 SASL-IR, still base64 ("=" is an empty one)
};
struct cmd_login { std::string user, password; };
struct cmd_enable { std::vector<std::string> capabilities; };  // upper-case
struct qresync_params {  // RFC 7162 §3.2.5.1
  std::uint32_t uidvalidity = 0;
  std::uint64_t modseq = 0;
  std::optional<sequence_set> known_uids;
  std::optional<std::pair<sequence_set, sequence_set>> seq_match;  // (seqs uids)
};
struct cmd_select {  // SELECT and EXAMINE
  std::string mailbox;  // UTF-8
  bool condstore = false;
  std::optional<qresync_params> qresync;
};
struct cmd_mailbox {  // CREATE DELETE SUBSCRIBE UNSUBSCRIBE GETQUOTAROOT
  std::string mailbox;
  std::vector<std::string> special_use;  // CREATE ... (USE (\Drafts)), RFC 6154 §3
};
struct cmd_rename { std::string from, to; };
struct cmd_list {  // LIST (RFC 5258 extended) and LSUB
  std::vector<std::string> selection;  // upper-case: SUBSCRIBED REMOTE RECURSIVEMATCH SPECIAL-USE
  std::string reference;
  std::vector<std::string> patterns;   // UTF-8
  std::vector<std::string> returns;    // upper-case: SUBSCRIBED CHILDREN SPECIAL-USE STATUS
  std::vector<std::string> status_items;  // RETURN (STATUS (...)), RFC 5819
};
struct cmd_status { std::string mailbox; std::vector<std::string> items; };
// One part of APPEND's CATENATE (RFC 4469): text given in the command, or an IMAP URL (RFC 5092)
// naming a message or part of one the user can read.
struct cat_part {
  bool url = false;
  std::string data;  // the text, or the URL as sent
  bool operator==(const cat_part&) const = default;
};
struct append_message {
  std::vector<std::string> flags;
  std::optional<date_time> internal_date;
  std::string data;               // empty when `catenate` holds the parts
  std::vector<cat_part> catenate;
  bool binary = false;  // literal8 (RFC 3516)
  bool utf8 = false;    // sent as UTF8 (literal8): may carry UTF-8 headers (RFC 6855 §4)
  // Set by the session, not the parser, for a literal it streamed to the blob store
  // (reader.hpp): the stored content's id and size; `data` is then empty.
  std::string stored_blob;
  std::uint64_t stored_size = 0;
};
struct cmd_append { std::string mailbox; std::vector<append_message> messages; };  // RFC 3502 MULTIAPPEND
struct cmd_uid_expunge { sequence_set uids; };
struct cmd_search {
  std::optional<std::string> charset;
  bool has_return = false;            // RFC 4731 ESEARCH form requested
  std::vector<std::string> returns;   // MIN MAX ALL COUNT SAVE, RFC 5267 UPDATE CONTEXT PARTIAL
  std::pair<std::uint32_t, std::uint32_t> partial{0, 0};  // RFC 5267 PARTIAL lo:hi (lo <= hi)
  search_key key;                     // AND of the top-level keys
};
struct cmd_fetch {
  sequence_set set;
  std::vector<fetch_att> atts;  // macros ALL/FAST/FULL already expanded
  std::optional<std::uint64_t> changed_since;  // RFC 7162
  bool vanished = false;                       // RFC 7162 §3.2.6 (UID FETCH only)
};
enum class store_op { replace, add, remove };
struct cmd_store {
  sequence_set set;
  store_op op = store_op::replace;
  bool silent = false;
  std::vector<std::string> flags;
  std::optional<std::uint64_t> unchanged_since;  // RFC 7162 §3.1.3
};
struct cmd_copy { sequence_set set; std::string mailbox; };  // COPY and MOVE
struct cmd_id {  // RFC 2971; nullopt is "ID NIL"
  std::optional<std::vector<std::pair<std::string, std::optional<std::string>>>> params;
};
struct cmd_getquota { std::string root; };
// RFC 5256: SORT criteria upper-case, "REVERSE" as its own entry before the key it reverses.
struct cmd_sort { std::vector<std::string> criteria; cmd_search search; };
struct cmd_thread { std::string algorithm; cmd_search search; };  // algorithm upper-case
struct cmd_compress { std::string mechanism; };  // RFC 4978, upper-case
// RFC 5464 METADATA. mailbox "" names the server. Entry names as sent (the handler validates).
struct cmd_getmetadata {
  std::string mailbox;
  std::vector<std::string> entries;
  std::optional<std::uint32_t> maxsize;
  int depth = 0;  // 0, 1, or -1 for "infinity"
};
struct cmd_setmetadata {
  std::string mailbox;
  std::vector<std::pair<std::string, std::optional<std::string>>> values;  // nullopt: NIL, remove
};

// RFC 4314 SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS: the arguments each takes, as sent.
struct cmd_acl {
  std::string mailbox;     // UTF-8
  std::string identifier;  // SETACL DELETEACL LISTRIGHTS
  std::string rights;      // SETACL: mod-rights, with its "+" or "-" if any
};

// RFC 5267 §4.3.5 CANCELUPDATE: the tags of the searches whose updates end.
struct cmd_cancelupdate { std::vector<std::string> tags; };

// RFC 5465 NOTIFY. One event group: which mailboxes, and which events for them.
struct notify_group {
  // Upper-case: SELECTED SELECTED-DELAYED INBOXES PERSONAL SUBSCRIBED SUBTREE MAILBOXES
  std::string filter;
  std::vector<std::string> mailboxes;  // SUBTREE and MAILBOXES: the names, UTF-8
  // Event names in RFC 5465's spelling (MessageNew, FlagChange, ...) when known, else as
  // sent; empty for "NONE".
  std::vector<std::string> events;
  std::vector<fetch_att> fetch;        // MessageNew's fetch-atts (selected mailbox only)
};
struct cmd_notify {
  bool none = false;    // NOTIFY NONE
  bool status = false;  // NOTIFY SET STATUS
  std::vector<notify_group> groups;
};

using command_args =
    std::variant<cmd_none, cmd_authenticate, cmd_login, cmd_enable, cmd_select, cmd_mailbox,
                 cmd_rename, cmd_list, cmd_status, cmd_append, cmd_uid_expunge, cmd_search,
                 cmd_fetch, cmd_store, cmd_copy, cmd_id, cmd_getquota, cmd_sort, cmd_thread,
                 cmd_compress, cmd_getmetadata, cmd_setmetadata, cmd_acl, cmd_notify, cmd_cancelupdate>;

struct command {
  std::string tag;
  std::string name;  // upper-case: "SELECT", "EXAMINE", "LSUB", "UID FETCH", "UID EXPUNGE", ...
  command_args args;
};

}  // namespace hearth::mail::imap
