#include "mail/filter/decision_recorder.hpp"

#include "core/log/log.hpp"

namespace hearth::mail::filter {
namespace {

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Pruning needs a scan of the old end only: once a minute is plenty for a retention in days.
constexpr std::int64_t prune_every = 60;

}  // namespace

decision_recorder::decision_recorder(std::shared_ptr<decision_store> store, retention keep,
                                     std::chrono::milliseconds interval)
    : store_(std::move(store)), keep_(keep), interval_(interval) {
  thread_ = std::thread([this] { run(); });
}

decision_recorder::~decision_recorder() { stop(); }

void decision_recorder::record(smtp::inbound_decision d) noexcept {
  try {
    std::lock_guard lock(m_);
    if (stopping_) return;
    if (pending_.size() >= max_pending) {
      ++dropped_;
      return;
    }
    pending_.push_back(std::move(d));
    if (pending_.size() == batch) cv_.notify_one();
  } catch (...) {
    // Out of memory for one record: the mail matters more than its record.
  }
}

void decision_recorder::flush() {
  std::unique_lock lock(m_);
  if (stopping_) return;
  const std::uint64_t ticket = ++flush_asked_;
  cv_.notify_one();
  done_cv_.wait(lock, [&] { return flush_done_ >= ticket || stopping_; });
}

void decision_recorder::stop() {
  {
    std::lock_guard lock(m_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_one();
  done_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void decision_recorder::write(std::vector<smtp::inbound_decision>& v) {
  if (v.empty()) return;
  // The store's lookups may throw (no descriptor left for a connection, say): a record lost
  // is logged, and the thread, which would take the whole server with it, goes on.
  try {
    if (auto r = store_->add(v); !r)
      log::warn("filter.decisions", {{"error", r.error().message}, {"lost", std::uint64_t(v.size())}});
  } catch (const std::exception& e) {
    log::warn("filter.decisions", {{"error", e.what()}, {"lost", std::uint64_t(v.size())}});
  }
  v.clear();
}

void decision_recorder::run() {
  std::int64_t last_prune = 0;
  std::vector<smtp::inbound_decision> work;
  std::unique_lock lock(m_);
  for (;;) {
    cv_.wait_for(lock, interval_, [&] { return stopping_ || pending_.size() >= batch || flush_asked_ > flush_done_; });
    work.swap(pending_);
    const std::uint64_t answered = flush_asked_;
    const std::uint64_t dropped = dropped_;
    dropped_ = 0;
    const bool last = stopping_;
    lock.unlock();
    write(work);
    if (dropped) log::warn("filter.decisions", {{"error", "the writer fell behind"}, {"dropped", dropped}});
    const std::int64_t now = now_s();
    if (now - last_prune >= prune_every) {
      last_prune = now;
      try {
        if (auto r = store_->prune(now - keep_.seconds, keep_.max); !r)
          log::warn("filter.decisions", {{"error", r.error().message}});
      } catch (const std::exception& e) {
        log::warn("filter.decisions", {{"error", e.what()}});
      }
    }
    lock.lock();
    flush_done_ = answered;
    done_cv_.notify_all();
    if (last && pending_.empty()) return;
  }
}

}  // namespace hearth::mail::filter
