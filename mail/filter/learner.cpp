#include "mail/filter/learner.hpp"


#include "core/blob/store.hpp"
#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "mail/store/store.hpp"

namespace hearth::mail::filter {
namespace {

// The special-use of a mailbox, with the common names standing in when a mailbox has none
// (created by a client that does not know RFC 6154).
std::string special_of(const std::vector<mailbox_info>& boxes, std::string_view name) {
  for (const auto& b : boxes) {
    if (b.name != name) continue;
    if (!b.special_use.empty()) return b.special_use;
    if (util::iequals(name, "Junk") || util::iequals(name, "Spam")) return "\\Junk";
    if (util::iequals(name, "Trash")) return "\\Trash";
    return "";
  }
  return "";
}

bool may_teach(const learn_job& j) {
  if (j.verb != "store") return true;
  return bayes::lesson_of({"store", "", "", j.flags}).has_value();
}

}  // namespace

learner::learner(std::shared_ptr<bayes::engine> e, mail::store& mail, blob::store& blobs, learner_options o)
    : e_(std::move(e)), mail_(mail), blobs_(blobs), o_(o) {
  thread_ = std::thread([this] { run(); });
}

learner::~learner() { stop(); }

void learner::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void learner::submit(learn_job j) {
  if ((j.uids.empty() && j.blobs.empty()) || !may_teach(j)) return;
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    if (queue_.size() >= o_.max_queue) {
      log::warn("spam.learn_dropped", {{"user", j.account}, {"verb", j.verb}, {"reason", "queue full"}});
      return;
    }
    queue_.push_back(std::move(j));
  }
  cv_.notify_one();
}

void learner::run() {
  for (;;) {
    learn_job j;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      j = std::move(queue_.front());
      queue_.pop_front();
    }
    if (o_.delay.count() > 0) {
      std::unique_lock lk(mu_);
      if (cv_.wait_for(lk, o_.delay, [&] { return stopping_; })) return;
    }
    try {
      process(j);
    } catch (const std::exception& ex) {
      log::error("spam.learn_failed", {{"user", j.account}, {"error", ex.what()}});
    }
    ++processed_;
  }
}

void learner::process(const learn_job& j) {
  auto boxes = mail_.list(j.account);
  if (!boxes) {
    log::warn("spam.learn_failed", {{"user", j.account}, {"code", boxes.error().code}, {"error", boxes.error().message}});
    return;
  }
  bayes::user_move m{j.verb, j.from.empty() ? "" : special_of(*boxes, j.from), special_of(*boxes, j.to), j.flags};
  auto lesson = bayes::lesson_of(m);
  if (!lesson) return;
  std::vector<mail::blob_ref> refs(j.blobs.begin(), j.blobs.begin() + std::min(j.blobs.size(), o_.max_messages_per_job));
  if (!j.uids.empty() && refs.size() < o_.max_messages_per_job) {
    uid_set set;
    for (auto u : j.uids) set.push_back({u, u});
    auto msgs = mail_.fetch(j.account, j.to, set);
    if (!msgs) {
      log::warn("spam.learn_failed", {{"user", j.account}, {"code", msgs.error().code}, {"error", msgs.error().message}});
      return;
    }
    for (const auto& mi : *msgs) {
      if (refs.size() >= o_.max_messages_per_job) break;
      refs.push_back({mi.blob_id, mi.size});
    }
  }
  std::vector<bayes::learn_item> items;
  for (const auto& b : refs) {
    auto bytes = blobs_.head(b.id, std::min<std::uint64_t>(b.size, o_.max_message_bytes));
    if (!bytes) continue;
    items.push_back(e_->lesson(j.account, b.id, *bytes, *lesson, o_.also_site));
  }
  if (items.empty()) return;
  auto r = e_->learn_batch(items);
  if (!r) {
    log::warn("spam.learn_failed", {{"user", j.account}, {"code", r.error().code}, {"error", r.error().message}});
    return;
  }
  std::uint64_t fresh = 0, flipped = 0, already = 0;
  for (auto o : *r) (o == bayes::learn_outcome::learnt ? fresh : o == bayes::learn_outcome::flipped ? flipped : already)++;
  log::info("spam.learn", {{"user", j.account}, {"as", *lesson ? "spam" : "ham"}, {"verb", j.verb},
                           {"mailbox", j.to}, {"messages", std::uint64_t(items.size())}, {"new", fresh},
                           {"flipped", flipped}, {"already", already}});
}

}  // namespace hearth::mail::filter
