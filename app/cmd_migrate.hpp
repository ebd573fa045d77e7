// `hearth migrate imap`: the copy engine shared by the command (cmd_migrate.cpp) and its
// folder jobs (cmd_migrate_copy.cpp). The rules it applies are mail/migrate/plan.hpp's; what
// it remembers is cmd_migrate_state.hpp's.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <deque>
#include <set>
#include <thread>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "app/cmd_migrate_conn.hpp"
#include "app/cmd_migrate_state.hpp"
#include "mail/migrate/plan.hpp"

namespace hearth::blob {
class store;
}
namespace hearth::mail {
class store;
}

namespace hearth::app::migrate {

struct options {
  endpoint from;
  std::string login, password, account, ca_file;
  mail::migrate::label_mode labels = mail::migrate::label_mode::folders;
  std::vector<std::string> folder_patterns;  // globs on the decoded source name; empty = all
  std::optional<std::int64_t> since;         // Unix seconds
  bool dry_run = false;
  int parallel = 2;
  std::uint64_t bwlimit = 0;  // bytes/s, 0 = none
  int timeout = 60;           // seconds, every network read/write
};

// One source folder to read.
struct job {
  std::string wire_name;  // as LIST sent it
  std::string name;       // decoded, for people
  mail::migrate::folder_plan plan;
  bool gmail_all = false;  // read X-GM-LABELS and file by them
  int phase = 1;           // 2: after every phase-1 job (Gmail-shaped All Mail without the extension)
  std::uint32_t expected = 0;  // messages not copied yet, from STATUS (for the progress bar)
};

struct counters {
  std::atomic<std::uint64_t> expected{0};  // messages to look at
  std::atomic<std::uint64_t> seen{0};      // looked at
  std::atomic<std::uint64_t> copied{0};    // copies stored
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> bytes{0};     // message octets read from the source
};

class engine {
 public:
  engine(const options& o, mail::store& st, blob::store& blobs, state& s, std::string source_id)
      : opt_(o), store_(st), blobs_(blobs), state_(s), source_(std::move(source_id)) {}

  // Indexes the account's mailboxes (see state.hpp: reconcile). Errors: store/state errors.
  result<void> reconcile();
  // Creates our mailbox (and its parents) unless it exists.
  result<void> ensure_mailbox(const std::string& name, const std::string& special_use = "");
  // Reads one folder and stores what is new. Returns an error only for what stops the folder
  // (connection lost, quota); per-message failures are counted and reported.
  result<void> run_job(connection& c, const job& j);

  // Store threads: fsync'ing one message while the next is read, and several at once, so that
  // one big folder (Gmail's All Mail) is not limited to one message per disk round trip.
  void start_store_threads(int n);
  void stop_store_threads();

  counters& stats() { return stats_; }
  bool stopped() const { return stop_.load(); }
  void stop() { stop_ = true; }
  // Lines printed as they come (per folder, errors) go through here so the bar stays intact.
  void say(const std::string& line, bool error = false);
  void set_bar(bool on) { bar_ = on; }
  std::vector<std::string> errors() {
    std::lock_guard l(say_m_);
    return errors_;
  }

 private:
  struct message;
  struct folder_counts {
    std::atomic<std::uint64_t> copied{0}, duplicates{0};
  };
  // One folder's messages on their way through the store threads.
  struct folder_run;
  result<void> store_message(const job& j, std::uint32_t uidvalidity, message& m, folder_counts& fc);
  // Hands a message to the store threads; blocks while too many bytes wait.
  void enqueue(folder_run& f, message&& m);
  void store_loop();
  bool reserve(const std::string& mailbox, const std::string& key);
  void release(const std::string& mailbox, const std::string& key);

  const options& opt_;
  mail::store& store_;
  blob::store& blobs_;
  state& state_;
  std::string source_;
  counters stats_;
  std::atomic<bool> stop_{false};

  std::mutex index_m_;
  std::unordered_set<std::string> in_mailbox_;  // mailbox + '\n' + key
  std::unordered_set<std::string> anywhere_;    // key
  std::mutex mailbox_m_;
  std::set<std::string> mailboxes_;

  struct queued;
  std::mutex queue_m_;
  std::condition_variable queue_cv_;
  std::deque<queued>* queue_ = nullptr;
  std::size_t queued_bytes_ = 0;
  bool queue_closed_ = false;
  std::vector<std::thread> store_threads_;

  std::mutex say_m_;
  std::vector<std::string> errors_;
  bool bar_ = false;
};

}  // namespace hearth::app::migrate
