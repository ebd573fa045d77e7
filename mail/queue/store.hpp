// The queue's durable state: one spool file per message under DATA_DIR/queue (its own files,
// not the shared blob store, whose blobs go with the last mailbox copy), and rows in SQLite
// (component "queue"): queue_messages (envelope) and queue_rcpts (one per recipient, with its
// status, attempts, next attempt time and last reply). A recipient row exists while the
// recipient is pending; delivered or bounced recipients are removed (the log keeps the story),
// and the message with its spool file goes with its last recipient.
//
// Used by the delivery agent (queue.cpp) and by `hearth queue` (app/cmd_queue.cpp), which
// changes rows in the running server's database: the agent re-reads due rows every second.
//
// Thread-safety: every method may be called from any thread (one SQLite connection per
// thread); several processes may share the database. Every call blocks on disk.
// Errors: "queue.io" (spool files), "queue.invalid", "queue.not_found", "db.*".
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/queue/queue.hpp"

namespace hearth::db {
class database;
}

namespace hearth::mail::queue {

struct rcpt_row {
  std::int64_t rowid = 0;
  std::string address;
  std::string domain;     // lower-case
  std::string notify, orcpt;
  std::string status;     // "queued", or "bounce" (an administrator asked: bounce it now)
  int attempts = 0;
  std::int64_t next_attempt = 0;
  std::int64_t last_attempt = 0;
  std::string last_reply;  // "451 4.3.0 try later", or our own reason ("connect: refused")
  std::string last_status; // "4.4.1"
  std::string relay;       // "host[ip]:port" of the last attempt
  bool warned = false;     // the delay warning went out
};

struct message_row {
  std::string id;
  envelope env;            // rcpts empty: see rcpts below
  std::int64_t size = 0;
  std::int64_t created = 0;
  std::vector<rcpt_row> rcpts;
};

// What became of one recipient after an attempt.
struct outcome {
  enum class kind { done, deferred, warned };  // done: delivered or bounced (row removed)
  std::int64_t rowid = 0;
  kind k = kind::done;
  int attempts = 0;
  std::int64_t next_attempt = 0, last_attempt = 0;
  std::string last_reply, last_status, relay;
};

class store {
 public:
  // Creates DATA_DIR/queue and migrates the tables. Errors: "db.*", "queue.io".
  static result<std::shared_ptr<store>> open(const std::filesystem::path& data_dir, const std::filesystem::path& db_file);
  ~store();

  // Writes the spool file (temp, fsync, rename, folder fsync), then commits the rows with full
  // durability. Returns the new queue id.
  result<std::string> add(const envelope& env, std::string_view message, std::int64_t now);

  // Messages with at least one due recipient (status "bounce", or "queued" and next_attempt <=
  // now), oldest first; only the due recipients are listed.
  result<std::vector<message_row>> due(std::int64_t now, std::size_t limit);
  // Every message with every pending recipient (`hearth queue list`).
  result<std::vector<message_row>> list();
  // One message; "queue.not_found".
  result<message_row> get(std::string_view id);
  // The seconds until the earliest next attempt (for the agent's sleep); nullopt if empty.
  result<std::optional<std::int64_t>> next_due();

  // The spool file's bytes. Errors: "queue.missing" (no spool file: the message is lost and
  // will never be readable), "queue.io" (anything else, perhaps passing), "queue.not_found".
  result<std::string> read_message(std::string_view id);
  std::filesystem::path spool_path(std::string_view id) const;

  // Applies outcomes in one durable transaction; removes the message (row and spool file) once
  // no recipient is left.
  result<void> record(std::string_view id, const std::vector<outcome>& outcomes);

  // Administration. flush: every recipient (of one message, or all) due now. remove: drop the
  // message. request_bounce: bounce it at the agent's next pass. Return the number of
  // recipients touched ("queue.not_found" when an id names nothing).
  result<int> flush(std::optional<std::string_view> id, std::int64_t now);
  result<int> remove(std::string_view id);
  result<int> request_bounce(std::string_view id, std::int64_t now);

  // Moves every pending recipient of a message to `until` at the earliest (a delivery attempt
  // that ended in an unexpected error: its rows must not stay due, or the agent would retry
  // at once, forever). Recipients already due later keep their time.
  result<void> postpone(std::string_view id, std::int64_t until);

  // Deletes spool and temp files that no message row names (a crash between rename and commit)
  // and that were last written at least min_age ago. The age is what keeps this from racing an
  // enqueue: add() renames the spool file into place before it commits the row, so a young
  // file without a row may be about to get one. min_age must exceed the longest possible
  // rename-to-commit time (fsync of the folder, plus the SQLite busy timeout).
  result<int> remove_orphans(std::chrono::seconds min_age);

 private:
  store() = default;
  result<void> drop_if_empty(std::string_view id);
  std::filesystem::path dir_;
  std::unique_ptr<db::database> db_;
};

// Lower-cased domain of an address ("" without '@'); an address literal keeps its brackets.
std::string domain_of(std::string_view address);

}  // namespace hearth::mail::queue
