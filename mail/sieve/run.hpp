// Running a compiled Sieve program (sieve.hpp) against one message.
//
// Sans-I/O: the message comes in as raw bytes, everything else the script may ask about (the
// envelope, the clock, mailboxes, spam verdicts, included scripts, the duplicate tracker)
// through `environment`. The result lists the actions to take; the caller performs them
// (stores the message, queues redirects and vacation replies, sends notifications).
#pragma once
#include "mail/sieve/sieve.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hearth::mail::sieve {

// Where an included script lives (RFC 6609 §3.2: :personal is the default).
enum class script_location { personal, global };

struct environment {
  // The SMTP envelope (RFC 5228 §5.4). envelope_from is empty for the null reverse-path <>.
  std::string envelope_from;
  std::string envelope_to;  // the recipient this delivery is for (final recipient)
  std::string original_to;  // before alias expansion; empty = same as envelope_to
  std::string auth_user;    // the account the script belongs to ("envelope" part "auth")
  // Every address of the user (vacation's implicit :addresses, RFC 5230 §4.5), lowercase.
  std::vector<std::string> user_addresses;

  // RFC 5235. spam_score: 0 = not tested, 1..10 (1 = certainly not spam, 10 = certainly spam).
  // spam_percent: 0..100 for spamtestplus :percent (nullopt: derived from spam_score).
  // virus_score: 0 = not tested, 1 = clean .. 5 = known virus.
  int spam_score = 0;
  std::optional<int> spam_percent;
  int virus_score = 0;

  // The moment of delivery for currentdate and vacation; injectable for tests.
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  int utc_offset_minutes = 0;  // the local zone for "date" and "currentdate" (RFC 5260 §4.1)

  // mailbox (RFC 5490): does this mailbox exist? Unset = no mailbox exists.
  std::function<bool(std::string_view mailbox)> mailbox_exists;
  // special-use (RFC 8579): does `mailbox` carry special-use flag `use` ("\\Junk")? An empty
  // `mailbox` asks whether any mailbox does. Unset = none does.
  std::function<bool(std::string_view mailbox, std::string_view use)> mailbox_has_special_use;
  // include (RFC 6609): the source of script `name`, or nullopt if there is none. Unset = none.
  std::function<std::optional<std::string>(std::string_view name, script_location where)> load_include;
  // duplicate (RFC 7352): has `key` been recorded (by a previous delivery's outcome.duplicates)
  // within its period? Unset = never seen.
  std::function<bool(std::string_view key)> duplicate_seen;
  // environment (RFC 5183): "domain", "host", "location" ("MDA"), "name", "phase" ("during"),
  // "remote-host", "remote-ip", "version". "name" and "version" default to Hearth's.
  std::map<std::string, std::string> items;
};

struct action_keep {
  std::vector<std::string> flags;  // imap4flags (RFC 5232) to set on the stored copy
  bool implicit = false;           // the implicit keep (RFC 5228 §2.10.2), not a `keep` command
};
struct action_fileinto {
  std::string mailbox;             // UTF-8 mailbox name as written in the script
  std::vector<std::string> flags;
  bool create = false;             // :create (RFC 5490 §3.2): create it if missing
  bool copy = false;               // :copy (RFC 3894): does not cancel the implicit keep
  std::string special_use;         // :specialuse (RFC 8579): prefer the mailbox with this use
};
struct action_redirect {
  std::string address;
  bool copy = false;
};
struct action_discard {};
struct action_reject {
  std::string reason;
  bool extended = false;           // ereject (RFC 5429 §2.1): refuse at SMTP time if possible
};
struct action_vacation {
  std::string to;                  // where the reply goes: the envelope sender
  std::string subject;             // :subject, or "Auto: " + the original subject
  std::string body;                // the reason (a MIME entity when `mime`)
  std::string from;                // :from, empty = the user's address
  std::chrono::seconds period{};   // :days / :seconds, already bounded
  std::string handle;              // :handle, or one derived from the arguments
  std::vector<std::string> addresses;
  bool mime = false;
  std::string in_reply_to;         // the original Message-ID, for the reply's headers
};
struct action_notify {
  std::string method;              // the URI: "mailto:..." or "xmpp:..."
  std::string from;
  int importance = 2;              // 1 high, 2 normal, 3 low
  std::string message;             // :message, or a default built from From and Subject
  std::vector<std::string> options;
};
using action = std::variant<action_keep, action_fileinto, action_redirect, action_discard,
                            action_reject, action_vacation, action_notify>;

// editheader (RFC 5293): the edits made, in order. The edited message is also in
// outcome::edited_message.
struct header_edit {
  enum class kind { add, remove } op = kind::add;
  std::string name;
  std::string value;                // add: the value; remove: empty = all matching fields
  bool last = false;                // add :last / delete :last
  std::optional<int> index;         // deleteheader :index
};

// duplicate (RFC 7352): keys to record once the message has been delivered as the outcome
// says (only then: §3 "the tracking is done after successful delivery").
struct duplicate_mark {
  std::string key;
  std::chrono::seconds period{};
};

struct outcome {
  // Everything to do, in order. When the implicit keep applies, the last action is an
  // action_keep with implicit = true, so the caller never has to add it.
  std::vector<action> actions;
  bool implicit_keep = true;
  std::vector<header_edit> header_edits;
  std::optional<std::string> edited_message;  // the message with header edits, if any
  std::vector<duplicate_mark> duplicates;
  // A runtime error (include not found, too many actions, conflicting actions, step limit).
  // RFC 5228 §2.10.6: then `actions` is a single implicit keep into INBOX, nothing else is
  // done, and the caller logs the error and tells the user.
  std::optional<diagnostic> error;
  // Things worth a log line that are not errors ("vacation not sent: mailing list").
  std::vector<std::string> notes;
};

// Runs `prog` on `message` (raw RFC 5322 bytes). Never throws for bad input; always returns
// an outcome (on error, the keep fallback). Thread-safe: `prog` is only read.
outcome run(const program& prog, std::string_view message, const environment& env,
            const limits& lim = {});

// A one-line-per-action description ("fileinto :create \"Lists\"", "redirect \"a@b\""), for
// `hearth sieve test` and logs.
std::string describe(const action& a);

}  // namespace hearth::mail::sieve
