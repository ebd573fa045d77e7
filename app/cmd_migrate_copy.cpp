// The folder jobs of `hearth migrate imap`: read a source folder's new messages and store each
// where the rules say, once.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

#include "app/cmd_migrate.hpp"
#include "core/blob/store.hpp"
#include "core/util/strings.hpp"
#include "mail/store/store.hpp"

namespace hearth::app::migrate {

namespace client = mail::imap::client;
namespace plan = mail::migrate;

struct engine::message {
  std::uint32_t uid = 0;
  std::string body;
  std::vector<std::string> flags;
  std::optional<std::int64_t> internal_date;
  std::vector<std::string> labels;
};

struct engine::folder_run {
  const job* j = nullptr;
  std::uint32_t uidvalidity = 0;
  folder_counts fc;
  std::mutex m;
  std::condition_variable cv;
  std::size_t left = 0;  // messages enqueued and not stored yet
  std::optional<hearth::error> err;
};

struct engine::queued {
  folder_run* f;
  message m;
};

// At most this many message bytes wait for the store threads (the reader blocks beyond).
constexpr std::size_t max_queued_bytes = 64u << 20;

void engine::start_store_threads(int n) {
  queue_ = new std::deque<queued>();
  for (int i = 0; i < n; ++i) store_threads_.emplace_back([this] { store_loop(); });
}

void engine::stop_store_threads() {
  {
    std::lock_guard l(queue_m_);
    queue_closed_ = true;
  }
  queue_cv_.notify_all();
  for (auto& t : store_threads_) t.join();
  store_threads_.clear();
  delete queue_;
  queue_ = nullptr;
}

void engine::enqueue(folder_run& f, message&& m) {
  {
    std::lock_guard l(f.m);
    ++f.left;
  }
  std::unique_lock l(queue_m_);
  queue_cv_.wait(l, [&] { return queued_bytes_ < max_queued_bytes || queue_->empty(); });
  queued_bytes_ += m.body.size();
  queue_->push_back({&f, std::move(m)});
  l.unlock();
  queue_cv_.notify_all();
}

void engine::store_loop() {
  for (;;) {
    std::unique_lock l(queue_m_);
    queue_cv_.wait(l, [&] { return queue_closed_ || !queue_->empty(); });
    if (queue_->empty()) return;
    queued q = std::move(queue_->front());
    queue_->pop_front();
    queued_bytes_ -= q.m.body.size();
    l.unlock();
    queue_cv_.notify_all();
    result<void> r = {};
    if (!stopped()) r = store_message(*q.f->j, q.f->uidvalidity, q.m, q.f->fc);
    std::lock_guard fl(q.f->m);
    if (!r && !q.f->err) q.f->err = r.error();
    if (--q.f->left == 0) q.f->cv.notify_all();
  }
}

namespace {
void wait_for_left(std::mutex& m, std::condition_variable& cv, const std::size_t& left) {
  std::unique_lock l(m);
  cv.wait(l, [&] { return left == 0; });
}
}  // namespace

void engine::say(const std::string& line, bool error) {
  std::lock_guard l(say_m_);
  if (error) errors_.push_back(line);
  // Clear the progress line first so the message stands alone.
  if (bar_) std::fputs("\r\033[K", stdout);
  std::fputs((line + "\n").c_str(), error ? stderr : stdout);
  std::fflush(error ? stderr : stdout);
}

bool engine::reserve(const std::string& mailbox, const std::string& key) {
  std::lock_guard l(index_m_);
  return in_mailbox_.insert(mailbox + '\n' + key).second;
}

void engine::release(const std::string& mailbox, const std::string& key) {
  std::lock_guard l(index_m_);
  in_mailbox_.erase(mailbox + '\n' + key);
}

result<void> engine::ensure_mailbox(const std::string& name, const std::string& special_use) {
  std::lock_guard l(mailbox_m_);
  if (mailboxes_.empty()) {
    auto list = store_.list(opt_.account);
    if (!list) return list.error();
    for (const auto& mb : *list) mailboxes_.insert(mb.name);
  }
  if (mailboxes_.count(name)) return {};
  // Parents first: the store does not create them (RFC 9051 leaves that to the server; ours
  // wants each level to exist, as a client's CREATE of "a/b" would have made it).
  std::string path;
  for (auto level : util::split(name, '/')) {
    path += path.empty() ? std::string(level) : "/" + std::string(level);
    if (mailboxes_.count(path)) continue;
    if (opt_.dry_run) {
      mailboxes_.insert(path);
      continue;
    }
    auto made = store_.create(opt_.account, path, path == name ? special_use : "");
    if (!made && made.error().code != "mail.exists") return made.error();
    mailboxes_.insert(path);
  }
  return {};
}

result<void> engine::reconcile() {
  auto list = store_.list(opt_.account);
  if (!list) return list.error();
  auto rows = state_.copies(opt_.account);
  if (!rows) return rows.error();
  std::map<std::string, std::unordered_set<std::uint32_t>> known;
  for (const auto& r : *rows) known[r.mailbox].insert(r.uid);
  for (const auto& mb : *list) {
    auto mark = state_.mark(opt_.account, mb.name);
    if (!mark) return mark.error();
    std::uint32_t last = 0;
    if (*mark && (*mark)->first == mb.uidvalidity) {
      last = (*mark)->second;
    } else if (*mark) {
      if (auto f = state_.forget(opt_.account, mb.name); !f) return f.error();
      known.erase(mb.name);
    }
    std::uint32_t high = last;
    if (last < mail::uid_max) {
      auto msgs = store_.fetch(opt_.account, mb.name, {{last + 1, mail::uid_max}});
      if (!msgs) return msgs.error();
      std::vector<copy_row> found;
      auto& k = known[mb.name];
      for (const auto& m : *msgs) {
        high = std::max(high, m.uid);
        if (k.count(m.uid)) continue;
        // A message we do not know: stored by a run that was killed before it could record
        // it, or there before the migration. Either way the same message must not come again.
        auto bytes = blobs_.get(m.blob_id);
        if (!bytes) continue;  // expunged meanwhile
        found.push_back({mb.name, plan::dedup_key(*bytes), m.uid});
        k.insert(m.uid);
        if (found.size() >= 500) {
          if (auto r = state_.add_copies(opt_.account, found); !r) return r.error();
          found.clear();
        }
      }
      if (auto r = state_.add_copies(opt_.account, found); !r) return r.error();
    }
    if (auto r = state_.set_mark(opt_.account, mb.name, mb.uidvalidity, high); !r) return r.error();
  }
  rows = state_.copies(opt_.account);
  if (!rows) return rows.error();
  std::lock_guard l(index_m_);
  for (const auto& r : *rows) {
    in_mailbox_.insert(r.mailbox + '\n' + r.key);
    anywhere_.insert(r.key);
  }
  return {};
}

result<void> engine::store_message(const job& j, std::uint32_t uidvalidity, message& m, folder_counts& fc) {
  const std::string where = "folder \"" + j.name + "\" UID " + std::to_string(m.uid);
  auto key = plan::dedup_key(m.body);
  auto flags = plan::keep_flags(m.flags);
  std::vector<std::string> targets;
  if (j.gmail_all) {
    auto f = plan::file_gmail(m.labels, opt_.labels);
    targets = std::move(f.mailboxes);
    flags.insert(flags.end(), f.add_flags.begin(), f.add_flags.end());
    flags = plan::keep_flags(flags);
  } else if (j.plan.r == plan::role::all) {
    // All Mail without the Gmail extension: what another folder holds is there already.
    std::lock_guard l(index_m_);
    if (!anywhere_.count(key)) targets.push_back("Archive");
  } else {
    targets.push_back(j.plan.target);
  }
  std::vector<copy_row> copies;
  bool failed = false;
  for (const auto& t : targets) {
    if (!reserve(t, key)) {
      stats_.duplicates++;
      ++fc.duplicates;
      continue;
    }
    if (auto r = ensure_mailbox(t); !r) {
      release(t, key);
      say("hearth: cannot create mailbox \"" + t + "\" for " + where + ": " + r.error().message, true);
      failed = true;
      continue;
    }
    auto res = store_.append(opt_.account, t, m.body, flags, m.internal_date);
    if (!res) {
      release(t, key);
      if (res.error().code == "mail.quota") {
        stop();
        return fail("mail.quota", "the account " + opt_.account + " is over its quota storing " + where + " into \"" +
                                      t + "\": " + res.error().message);
      }
      say("hearth: cannot store " + where + " into \"" + t + "\": " + res.error().message, true);
      failed = true;
      continue;
    }
    copies.push_back({t, key, res->uid});
    stats_.copied++;
    ++fc.copied;
    std::lock_guard l(index_m_);
    anywhere_.insert(key);
  }
  if (failed) {
    stats_.failed++;
    // Record what was stored (so a retry does not store it twice) but not the source message
    // as done: the next run tries the failed copy again.
    if (!copies.empty())
      if (auto r = state_.add_copies(opt_.account, copies); !r) return r.error();
    return {};
  }
  if (targets.empty()) {
    stats_.duplicates++;
    ++fc.duplicates;
  }
  return state_.record(opt_.account, copies, source_, j.wire_name, uidvalidity, m.uid);
}

result<void> engine::run_job(connection& c, const job& j) {
  std::vector<std::string> seg{"EXAMINE "};
  c.add_string(seg, j.wire_name);
  std::uint32_t uidvalidity = 0, exists = 0;
  auto sel = c.run(seg, [&](client::response& r) -> result<void> {
    if (r.code == "UIDVALIDITY") uidvalidity = static_cast<std::uint32_t>(std::strtoul(r.code_args.c_str(), nullptr, 10));
    if (r.name == "EXISTS" && r.number) exists = *r.number;
    return {};
  });
  if (!sel) return fail(sel.error().code, "cannot open folder \"" + j.name + "\": " + sel.error().message);
  if (exists == 0) return {};
  std::string search = "UID SEARCH ";
  search += opt_.since ? "SINCE " + client::format_date(*opt_.since) : "ALL";
  std::vector<std::uint32_t> uids;
  auto sr = c.run(search, [&](client::response& r) -> result<void> {
    if (r.name != "SEARCH" && r.name != "ESEARCH") return {};
    auto s = client::parse_search(r);
    if (!s) return s.error();
    uids.insert(uids.end(), s->begin(), s->end());
    return {};
  });
  if (!sr) return fail(sr.error().code, "cannot list folder \"" + j.name + "\": " + sr.error().message);
  auto done = state_.done(source_, j.wire_name, uidvalidity);
  if (!done) return done.error();
  std::vector<std::uint32_t> todo;
  for (auto u : uids)
    if (!done->count(u)) todo.push_back(u);
  std::sort(todo.begin(), todo.end());
  todo.erase(std::unique(todo.begin(), todo.end()), todo.end());

  std::uint64_t folder_bytes = 0;
  folder_run run;
  run.j = &j;
  run.uidvalidity = uidvalidity;
  auto& fc = run.fc;
  if (opt_.dry_run) {
    for (std::size_t i = 0; i < todo.size(); i += 1000) {
      std::vector<std::uint32_t> batch(todo.begin() + i, todo.begin() + std::min(todo.size(), i + 1000));
      auto r = c.run("UID FETCH " + client::uid_set(batch) + " (UID RFC822.SIZE)", [&](client::response& d) -> result<void> {
        if (d.name != "FETCH") return {};
        auto f = client::parse_fetch(d);
        if (f && f->size) folder_bytes += *f->size;
        return {};
      });
      if (!r) return fail(r.error().code, "folder \"" + j.name + "\": " + r.error().message);
    }
    stats_.seen += todo.size();
    char mb[32];
    std::snprintf(mb, sizeof mb, "%.1f MB", static_cast<double>(folder_bytes) / 1e6);
    std::string to = j.gmail_all ? "by their Gmail labels" : j.plan.r == plan::role::all ? "Archive (what no other folder has)" : "\"" + j.plan.target + "\"";
    say("would copy " + std::to_string(todo.size()) + " messages (" + mb + ") from \"" + j.name + "\" to " + to);
    return {};
  }

  std::string items = "(UID FLAGS INTERNALDATE BODY.PEEK[]";
  if (j.gmail_all) items += " X-GM-MSGID X-GM-LABELS";
  items += ")";
  // Batches keep one command's answer bounded while the server streams it.
  for (std::size_t i = 0; i < todo.size() && !stopped(); i += 200) {
    std::vector<std::uint32_t> batch(todo.begin() + i, todo.begin() + std::min(todo.size(), i + 200));
    auto r = c.run("UID FETCH " + client::uid_set(batch) + " " + items, [&](client::response& d) -> result<void> {
      if (d.name != "FETCH") return {};
      auto f = client::parse_fetch(d);
      if (!f) return f.error();
      if (!f->uid || !f->body) return {};  // an unsolicited flag update
      message m;
      m.uid = *f->uid;
      m.body = std::move(*f->body);
      if (f->flags) m.flags = std::move(*f->flags);
      m.internal_date = f->internal_date;
      if (f->gm_labels) m.labels = std::move(*f->gm_labels);
      stats_.bytes += m.body.size();
      folder_bytes += m.body.size();
      stats_.seen++;
      if (stopped()) return {};
      enqueue(run, std::move(m));
      return {};
    });
    if (!r) {
      wait_for_left(run.m, run.cv, run.left);
      return fail(r.error().code, "folder \"" + j.name + "\" (UIDs " + client::uid_set(batch) + "): " + r.error().message);
    }
  }
  // The folder is done once its last message is stored: the next phase relies on it.
  wait_for_left(run.m, run.cv, run.left);
  if (run.err) return *run.err;
  char mb[32];
  std::snprintf(mb, sizeof mb, "%.1f MB", static_cast<double>(folder_bytes) / 1e6);
  std::string to = j.gmail_all ? "Gmail labels" : j.plan.r == plan::role::all ? "Archive" : j.plan.target;
  say("folder \"" + j.name + "\" -> " + to + ": " + std::to_string(todo.size()) + " new, " +
      std::to_string(fc.copied.load()) + " copies stored, " + std::to_string(fc.duplicates.load()) +
      " duplicates skipped, " + mb);
  return {};
}

}  // namespace hearth::app::migrate
