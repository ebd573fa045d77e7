// Mailbox files other programs write, read for `hearth import` and written by `hearth export`:
// mbox (mboxrd and mboxo), Google Takeout's X-Gmail-Labels, Maildir file names and folder
// names (Maildir++ and Dovecot's LAYOUT=fs), Dovecot's dovecot-keywords file. Pure: text in,
// values out; no files are opened here (app/cmd_import_mail.cpp does the I/O).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::mailfile {

// ---- mbox ----

// Splits an mbox into messages, one line at a time (a Takeout mbox can be tens of GB: the
// caller reads it in pieces). A message starts at a "From " line at the start of the file or
// after an empty line; the empty line before it belongs to the separator. Lines that are
// ">From " escaped (one or more '>') lose one '>' (mboxrd; for mboxo this also restores the
// escaped lines, the best anyone can do). Line ends become CRLF, as IMAP stores messages.
// Text before the first "From " line is not a message and is counted in `skipped_preamble`.
class mbox_splitter {
 public:
  struct message {
    std::string bytes;                  // CRLF line ends
    std::string from_line;              // the separator line, without its line end
    bool too_big = false;               // bytes were cut at max_bytes: do not store
  };
  explicit mbox_splitter(std::uint64_t max_bytes) : max_bytes_(max_bytes) {}

  // One line, with or without its final "\n" (the last line of a file may lack it). Returns the
  // previous message when this line starts a new one.
  std::optional<message> line(std::string_view l);
  // The last message, at end of input.
  std::optional<message> finish();
  std::uint64_t skipped_preamble() const { return skipped_; }

 private:
  void append(std::string_view content);
  std::uint64_t max_bytes_;
  std::optional<message> cur_;
  bool pending_blank_ = false;  // an empty line not yet written: it may be the separator's
  bool at_start_ = true;
  bool prev_blank_ = true;
  std::uint64_t skipped_ = 0;
};

// Unix seconds of a date written as in an mbox "From " line ("Thu Jun 04 18:39:50 +0000 2020",
// "Sat Jan  3 01:05:34 1996") or an RFC 5322 Date field ("Thu, 4 Jun 2020 18:39:50 +0200").
// Tolerant: month name, day, hh:mm[:ss], four-digit year and an optional numeric or
// GMT/UTC/UT zone, in any order. nullopt when those are not all there.
std::optional<std::int64_t> parse_date(std::string_view text);
// The date part of a "From " line (everything after the sender).
std::optional<std::int64_t> from_line_date(std::string_view from_line);

// ---- Google Takeout (X-Gmail-Labels) ----

struct gmail_placement {
  std::vector<std::string> mailboxes;  // where copies go (Hearth names: INBOX, Sent, Junk...); never empty
  std::vector<std::string> flags;      // \Seen, \Flagged, \Draft, $Important
};
// The value of X-Gmail-Labels (unfolded; labels separated by commas, a label with a comma in
// double quotes). Inbox → INBOX, Sent → Sent, Spam → Junk, Trash → Trash, Drafts → Drafts,
// Opened → \Seen (Unread: no \Seen), Starred → \Flagged, Important → $Important; "Category
// ..." labels and Archived add no folder. Any other label is a folder of that name (Gmail's
// "/" is our hierarchy delimiter too). A message left with no folder goes to Archive.
gmail_placement gmail_labels(std::string_view value);
// The labels themselves (quoted ones unquoted), for tests and for keyword mode later.
std::vector<std::string> split_labels(std::string_view value);

// ---- Maildir ----

// Flags from a Maildir file name's info part ("...:2,FRS" or Dovecot's ",S=..." fields
// before it): D \Draft, F \Flagged, P $Forwarded, R \Answered, S \Seen, T \Deleted; a-z are
// Dovecot keywords, resolved through `keywords` (dovecot-keywords: index → name; letters
// without an entry are dropped). The separator may be ':' or, on systems that cannot have
// ':' in names, '!' or ';'.
std::vector<std::string> maildir_flags(std::string_view filename, const std::vector<std::string>& keywords);
// The file name for an export: UNIQUE + ":2," + flag letters in ASCII order (keywords get
// letters a-z in the order of `keywords`, which the caller extends as needed; at most 26).
std::string maildir_filename(std::string_view unique, const std::vector<std::string>& flags,
                             std::vector<std::string>& keywords);

// Parses dovecot-keywords ("0 $Label1\n1 Work\n"): index i of the result is letter 'a'+i.
std::vector<std::string> parse_dovecot_keywords(std::string_view text);
std::string format_dovecot_keywords(const std::vector<std::string>& keywords);

// A Maildir++ folder directory name (".Work.Projects", modified UTF-7, "." as separator) as a
// Hearth mailbox name ("Work/Projects"). nullopt for names that are not folders ("." "..",
// no leading dot) or do not decode.
std::optional<std::string> maildirpp_folder(std::string_view dirname);
// The reverse, for export: "Work/Projects" → ".Work.Projects" (dots inside a level become
// "&AC4-", slashes... cannot occur: '/' is our delimiter).
std::string maildirpp_dirname(std::string_view mailbox);
// A Dovecot LAYOUT=fs relative path ("Work/Projects", each level modified UTF-7) as a Hearth name.
std::optional<std::string> fs_layout_folder(std::string_view relative);

// Names other servers give the special folders, onto ours: "Sent Items", "Sent Messages" →
// Sent; "Deleted Items", "Deleted Messages" → Trash; "Spam", "Junk E-mail", "Junk Email" → Junk;
// "inbox" in any case → INBOX. Others unchanged.
std::string special_folder(std::string_view name);

}  // namespace hearth::mail::mailfile
