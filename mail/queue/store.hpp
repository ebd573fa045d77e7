// The queue's durable state: what the delivery agent and `hearth queue` need, with no database
// types. The message bytes: on SQLite one spool file per message under DATA_DIR/queue (its own
// files, not the shared blob store, whose blobs go with the last mailbox copy; spool.hpp); on
// PostgreSQL a row in the database, since another node may deliver it. And rows in the database
// (component "queue"): the message's envelope, and one row per recipient with its status,
// attempts, next attempt time and last reply. A recipient row exists while the recipient is
// pending; delivered or bounced recipients are removed (the log keeps the story), and the
// message with its spool file goes with its last recipient.
//
// One implementation (sql_store.cpp) on core/sql: SQLite by default, PostgreSQL when open()
// is given a URL.
//
// Several nodes on one database (README "Several nodes"): due() claims the recipients it
// returns for this node (its id and a lease expiry on each row, in one transaction; on
// PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED), so two nodes never get the same
// recipient. record() and postpone() release the claims of what they settle; the agent renews
// its leases while it delivers; a node that dies leaves claims that expire after the lease,
// and then any node takes them. With one node (SQLite) the same path runs: its claims are
// always its own.
//
// Used by the delivery agent (queue.cpp) and by `hearth queue` (app/cmd_queue.cpp), which
// changes rows in the running server's database: the agent re-reads due rows every second.
//
// Thread-safety: every method may be called from any thread (one connection per thread);
// several processes may share the database. Every call blocks on disk.
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

namespace hearth::mail::queue {

// What a queued message is read and written in: the spool file's read size, and the size of
// one stored part on PostgreSQL.
constexpr std::size_t queue_part_size = 1 << 20;

// A queued message read in pieces: next() gives the following octets, an empty string at the
// end. Blocking (disk or database); one thread at a time, any thread.
class message_reader {
 public:
  virtual ~message_reader() = default;
  virtual result<std::string> next() = 0;
};

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

// Who claims due recipients, and for how long.
struct claim_options {
  std::string node;                 // "": the data directory's node id (node_id() below)
  std::chrono::seconds lease{120};  // a claim not renewed for this long is free again
};

// This node's id: read from DATA_DIR/node-id, or made (random hex) and written there on first
// use, so that a restarted node recognises its own claims. Errors: "queue.io".
result<std::string> node_id(const std::filesystem::path& data_dir);

class store {
 public:
  virtual ~store() = default;

  // Creates DATA_DIR/queue and migrates the tables in `target` (a SQLite file path or a
  // PostgreSQL URL, as sql::open takes). Errors: "db.*", "queue.io".
  static result<std::shared_ptr<store>> open(const std::filesystem::path& data_dir, const std::string& target,
                                             claim_options claims = {});

  // The node id this store claims for.
  virtual const std::string& node() const = 0;

  // Writes the spool file from `message` as it is read (temp, fsync, rename, folder fsync),
  // then commits the rows with full durability; on PostgreSQL the bytes go into the rows'
  // transaction in parts of queue_part_size. Returns the new queue id. `message` is read once;
  // its errors are returned with nothing queued.
  virtual result<std::string> add(const envelope& env, const piece_source& message, std::int64_t now) = 0;
  result<std::string> add(const envelope& env, std::string_view message, std::int64_t now) {
    return add(env, [message](const piece_sink& out) { return out(message); }, now);
  }

  // Messages with at least one due recipient (status "bounce", or "queued" and next_attempt <=
  // now) that no other node holds a live claim on, oldest first; only those recipients are
  // listed, and they are claimed for this node until now + lease (see the top of this file).
  virtual result<std::vector<message_row>> due(std::int64_t now, std::size_t limit) = 0;
  // Extends every claim of this node to now + lease (the agent calls it while delivering, so
  // a long attempt keeps its recipients). Returns the number of rows renewed.
  virtual result<int> renew_claims(std::int64_t now) = 0;
  // Drops every claim of this node (at a clean stop: the other nodes need not wait for the
  // lease). Returns the number of rows released.
  virtual result<int> release_claims() = 0;
  // Drops this node's claims on one message (due() listed it, the agent did not start it).
  virtual result<void> release_message(std::string_view id) = 0;
  // Every message with every pending recipient (`hearth queue list`), oldest first.
  virtual result<std::vector<message_row>> list() = 0;
  // One message; ids are hex and matched without regard to case. "queue.not_found".
  virtual result<message_row> get(std::string_view id) = 0;
  // The earliest next attempt time of any recipient (for the agent's sleep); nullopt if empty.
  virtual result<std::optional<std::int64_t>> next_due() = 0;

  // The message's bytes, in pieces of at most queue_part_size (one part at a time in memory).
  // Errors: "queue.missing" (no spool file or stored body: the message is lost and will never
  // be readable), "queue.io" (anything else, perhaps passing), "queue.not_found"; the same
  // from next() (a part that vanished since is "queue.missing").
  virtual result<std::unique_ptr<message_reader>> open_message(std::string_view id) = 0;
  // open_message() read to the end into one string (`hearth queue show`, local delivery).
  result<std::string> read_message(std::string_view id);
  virtual std::filesystem::path spool_path(std::string_view id) const = 0;

  // Applies outcomes in one durable transaction; removes the message (row and spool file) once
  // no recipient is left.
  virtual result<void> record(std::string_view id, const std::vector<outcome>& outcomes) = 0;

  // Administration. flush: every recipient (of one message, or all) due now. remove: drop the
  // message. request_bounce: bounce it at the agent's next pass. Return the number of
  // recipients touched ("queue.not_found" when an id names nothing).
  virtual result<int> flush(std::optional<std::string_view> id, std::int64_t now) = 0;
  virtual result<int> remove(std::string_view id) = 0;
  virtual result<int> request_bounce(std::string_view id, std::int64_t now) = 0;

  // Moves every pending recipient of a message to `until` at the earliest (a delivery attempt
  // that ended in an unexpected error: its rows must not stay due, or the agent would retry
  // at once, forever). Recipients already due later keep their time.
  virtual result<void> postpone(std::string_view id, std::int64_t until) = 0;

  // Deletes spool and temp files that no message row names (a crash between rename and commit)
  // and that were last written at least min_age ago. The age is what keeps this from racing an
  // enqueue: add() renames the spool file into place before it commits the row, so a young
  // file without a row may be about to get one. min_age must exceed the longest possible
  // rename-to-commit time (fsync of the folder, plus the database's lock wait).
  virtual result<int> remove_orphans(std::chrono::seconds min_age) = 0;
};

// Lower-cased domain of an address ("" without '@'); an address literal keeps its brackets.
std::string domain_of(std::string_view address);

}  // namespace hearth::mail::queue
