// What `hearth migrate imap` does with a source account, decided without I/O: where each
// source folder goes, where a Gmail message goes by its labels, which flags we keep, and the
// key that says two messages are the same one.
//
// Folder roles: a folder the server marks with an RFC 6154 special-use attribute, or, when it
// marks none, one with the usual name (Sent, Sent Items, Spam, Deleted Items...), lands in our
// folder of that use; Gmail's All Mail (\All, or a folder named "All Mail") is not copied as a
// folder: its messages that no other folder holds go to Archive. Gmail's virtual folders
// (\Flagged "Starred", \Important) are skipped: their messages are elsewhere already.
// Thread-safety: pure functions.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::migrate {

enum class role {
  normal,   // copied under the same name
  inbox,
  sent,
  drafts,
  junk,
  trash,
  archive,
  all,      // Gmail's All Mail: read last, only what no other folder has goes to Archive
  skip,     // not copied (\Noselect, \NonExistent, virtual folders)
};

struct source_folder {
  std::string name;  // as LIST sent it (modified UTF-7 unless UTF-8 is on)
  std::optional<char> delimiter;
  std::vector<std::string> attributes;  // with their backslash, any case
};

struct folder_plan {
  role r = role::normal;
  std::string target;       // our mailbox name (UTF-8, "/" between levels); "" for all/skip
  std::string special_use;  // "\\Sent"... for creating it, or ""
};

// `utf8`: names arrive as UTF-8 (ENABLE UTF8=ACCEPT). `prefix`: the personal namespace's
// prefix ("INBOX." on Courier-style servers), taken off the name.
folder_plan plan_folder(const source_folder& f, bool utf8, std::string_view prefix = "");

// Our name for a source name: decoded, the prefix taken off, split on the server's delimiter,
// joined with "/" ("/" inside a level becomes "-"). Empty if nothing is left.
std::string target_name(std::string_view name, std::optional<char> delimiter, bool utf8, std::string_view prefix = "");

// Our mailbox for a role (INBOX, Sent, Drafts, Junk, Trash, Archive), or "" for the others.
std::string role_mailbox(role r);
std::string role_special_use(role r);

// ---- Gmail (X-GM-EXT-1) ----
enum class label_mode { folders, keywords };

struct filing {
  std::vector<std::string> mailboxes;  // one copy in each, no duplicates
  std::vector<std::string> add_flags;  // \Flagged for \Starred; keywords in keywords mode
};

// labels: X-GM-LABELS as sent (modified UTF-7, "\\Inbox" and the like for system labels).
// folders: a copy in INBOX (\Inbox), Sent (\Sent), Drafts (\Draft), Junk (\Spam), Trash
// (\Trash) and in each user label's folder; \Important is dropped; \Starred becomes \Flagged;
// nothing left: Archive. keywords: one copy in INBOX if \Inbox, else Sent, Drafts, Junk, Trash
// by the same labels, else Archive; the user labels become keywords (label_keyword).
filing file_gmail(const std::vector<std::string>& labels, label_mode mode);

// An IMAP keyword (RFC 9051 flag-keyword, an atom) for a label: modified UTF-7 for non-ASCII,
// characters an atom cannot hold replaced by "_", at most 128 octets. "" if nothing is left.
std::string label_keyword(std::string_view label);

// The flags we store for a source message's flags: system flags and valid keywords in our
// canonical form; \Recent and anything our store refuses are dropped.
std::vector<std::string> keep_flags(const std::vector<std::string>& flags);

// Two messages are the same one when they have the same Message-ID and the same body (the
// octets after the header): lowercase hex SHA-256 over both. Without a Message-ID, over the
// whole message. A copy on another server that rewrote some header still matches.
std::string dedup_key(std::string_view message);

}  // namespace hearth::mail::migrate
