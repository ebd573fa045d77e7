// Learning from what users do in IMAP (a move into Junk, a $Junk or $NotJunk keyword; see
// bayes::lesson_of), off the command's path: submit() only queues, one thread of its own
// reads the messages and writes the lessons, a batch per job.
//
// The messages are read from the blob store (the first max_message_bytes of each: the
// tokenizer reads no more) and keyed by their blob id, so a message copied, moved or flagged
// twice is learnt once, and one moved back the other way is unlearnt first.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mail/filter/bayes/engine.hpp"
#include "mail/store/store.hpp"

namespace hearth::blob {
class store;
}

namespace hearth::mail::filter {

struct learn_job {
  std::string account;
  std::string verb;   // "append", "copy", "move", "store"
  std::string from;   // source mailbox ("" for APPEND)
  std::string to;     // the mailbox the messages are in now
  // The messages: by blob where the command had it (read as they are, wherever the messages
  // have gone since), else by uid in `to` (one moved on by then is not found, and not learnt).
  std::vector<mail::blob_ref> blobs;
  std::vector<std::uint32_t> uids;
  std::vector<std::string> flags;   // STORE: the flags set
};

struct learner_options {
  bool also_site = true;                  // users' lessons count site-wide as well
  std::size_t max_queue = 10000;          // jobs waiting; more are dropped (and logged)
  std::size_t max_message_bytes = 1 << 20;
  std::size_t max_messages_per_job = 5000;
  // Waited before each job: zero but in tests, which widen with it the window in which a
  // later command moves the messages on.
  std::chrono::milliseconds delay{0};
};

class learner {
 public:
  learner(std::shared_ptr<bayes::engine> e, mail::store& mail, blob::store& blobs, learner_options o = {});
  ~learner();
  learner(const learner&) = delete;
  learner& operator=(const learner&) = delete;

  // Never blocks on I/O: a job that cannot teach anything (a STORE of \Seen) is dropped here,
  // the others are queued. Thread-safe.
  void submit(learn_job j);
  // Finishes the job in progress and stops (the queue is dropped). Idempotent.
  void stop();
  // Jobs processed so far (for tests and logs).
  std::uint64_t processed() const { return processed_; }

 private:
  void run();
  void process(const learn_job& j);

  std::shared_ptr<bayes::engine> e_;
  mail::store& mail_;
  blob::store& blobs_;
  learner_options o_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<learn_job> queue_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> processed_{0};
  std::thread thread_;
};

}  // namespace hearth::mail::filter
