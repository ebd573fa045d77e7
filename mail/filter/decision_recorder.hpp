// The sessions' smtp::decision_log on a decision_store: record() only queues (a mutex and a
// vector push on the I/O thread); a thread of its own writes the queue in one transaction
// about once a second, and drops what is older than the retention or beyond its count now
// and then. So the SMTP hot path pays no disk write and no fsync per message.
//
//   auto rec = std::make_shared<filter::decision_recorder>(store, filter::retention{30 * 86400, 200000});
//   services.decisions = rec;   // ... and rec->stop() before the store goes.
//
// When the writer cannot keep up, records beyond max_pending are dropped (and counted in the
// log): the mail goes on either way.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "mail/filter/decision_store.hpp"
#include "mail/smtp/server/decision_log.hpp"

namespace hearth::mail::filter {

struct retention {
  std::int64_t seconds = 30 * 86400;  // records older than this are dropped
  std::size_t max = 200000;           // and the oldest beyond this many
};

class decision_recorder final : public smtp::decision_log {
 public:
  static constexpr std::size_t max_pending = 50000;
  static constexpr std::size_t batch = 500;  // a write starts early once this many wait

  decision_recorder(std::shared_ptr<decision_store> store, retention keep,
                    std::chrono::milliseconds interval = std::chrono::seconds(1));
  ~decision_recorder() override;  // stop()s

  void record(smtp::inbound_decision d) noexcept override;
  // Writes what waits, then ends the writer thread. Idempotent.
  void stop();
  // Writes what waits now (for tests and the admin page's freshness); blocks until written.
  void flush();

 private:
  void run();
  void write(std::vector<smtp::inbound_decision>& v);

  std::shared_ptr<decision_store> store_;
  retention keep_;
  std::chrono::milliseconds interval_;
  std::mutex m_;
  std::condition_variable cv_, done_cv_;
  std::vector<smtp::inbound_decision> pending_;
  std::uint64_t dropped_ = 0;
  std::uint64_t flush_asked_ = 0, flush_done_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hearth::mail::filter
