#include <condition_variable>
#include <mutex>

#include "core/pg/pg.hpp"

namespace hearth::pg {

struct pool::lease::state {
  std::string url;
  options opt;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::unique_ptr<connection>> idle;
  std::size_t open = 0;  // idle + lent
};

result<pool> pool::open(const std::string& url, options opt) {
  if (opt.max_size == 0) opt.max_size = 1;
  auto c = connection::open(url);
  if (!c) return c.error();
  pool p;
  p.state_ = std::make_shared<lease::state>();
  p.state_->url = url;
  p.state_->opt = opt;
  p.state_->idle.push_back(std::make_unique<connection>(std::move(*c)));
  p.state_->open = 1;
  return p;
}

result<pool::lease> pool::acquire() {
  auto& s = *state_;
  std::unique_lock lock(s.mu);
  auto deadline = std::chrono::steady_clock::now() + s.opt.wait;
  for (;;) {
    if (!s.idle.empty()) {
      auto c = std::move(s.idle.back());
      s.idle.pop_back();
      if (c->healthy()) return lease(state_, std::move(c));
      --s.open;  // broke while idle (server restart): replace it below
      continue;
    }
    if (s.open < s.opt.max_size) {
      ++s.open;
      lock.unlock();  // connecting takes a round trip or more: not under the lock
      auto c = connection::open(s.url);
      if (!c) {
        std::lock_guard relock(s.mu);
        --s.open;
        s.cv.notify_one();
        return c.error();
      }
      return lease(state_, std::make_unique<connection>(std::move(*c)));
    }
    if (s.cv.wait_until(lock, deadline) == std::cv_status::timeout && s.idle.empty() && s.open >= s.opt.max_size)
      return fail("db.busy", "PostgreSQL: all " + std::to_string(s.opt.max_size) + " pooled connections are in use");
  }
}

pool::lease::~lease() {
  if (!pool_ || !conn_) return;
  std::lock_guard lock(pool_->mu);
  // A connection given back mid-transaction or broken is not lent again: the next borrower
  // would inherit someone else's half-done work.
  if (conn_->healthy()) pool_->idle.push_back(std::move(conn_));
  else --pool_->open;
  conn_.reset();
  pool_->cv.notify_one();
}

std::size_t pool::open_count() const {
  std::lock_guard lock(state_->mu);
  return state_->open;
}

}  // namespace hearth::pg
