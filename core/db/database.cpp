// database: one connection per thread (ARCHITECTURE.md "Threads and storage").
//
// Lifetime: the database's shared state owns every connection it opened (strong refs). Each
// thread keeps, in a thread_local map keyed by a never-reused database id, weak refs to its
// connection and to the state. So:
//  - database destroyed first: the state closes all connections; a thread's stale map entry
//    has expired weak refs and is pruned later;
//  - thread ends first: its thread_local map's destructor asks the still-living state to
//    close that thread's connection.
// Ids rather than addresses as keys: a new database may be allocated where an old one was.
#include <atomic>
#include <mutex>
#include <unordered_map>

#include "core/db/db.hpp"

namespace hearth::db {

struct database::state {
  std::uint64_t id;
  std::filesystem::path path;
  mutable std::mutex mutex;
  std::unordered_map<connection*, std::shared_ptr<connection>> conns;

  // Closing happens outside the lock: sqlite3_close may wait on the file system.
  void close(connection* c) {
    std::shared_ptr<connection> victim;
    {
      std::lock_guard lock(mutex);
      auto it = conns.find(c);
      if (it == conns.end()) return;
      victim = std::move(it->second);
      conns.erase(it);
    }
  }
  void close_all() {
    std::unordered_map<connection*, std::shared_ptr<connection>> victims;
    {
      std::lock_guard lock(mutex);
      victims.swap(conns);
    }
  }
};

namespace {

std::atomic<std::uint64_t> next_id{1};

struct thread_entry {
  std::weak_ptr<database::state> state;
  std::weak_ptr<connection> conn;
};

struct thread_map {
  std::unordered_map<std::uint64_t, thread_entry> entries;
  ~thread_map() {
    for (auto& [id, e] : entries) {
      auto s = e.state.lock();
      auto c = e.conn.lock();
      if (s && c) {
        connection* raw = c.get();
        c.reset();
        s->close(raw);
      }
    }
  }
  void prune() {
    std::erase_if(entries, [](const auto& kv) { return kv.second.conn.expired(); });
  }
};

thread_local thread_map this_thread_conns;

}  // namespace

result<database> database::open(const std::filesystem::path& path) {
  database d;
  d.state_ = std::make_shared<state>();
  d.state_->id = next_id.fetch_add(1);
  d.state_->path = path;
  auto c = d.try_get();
  if (!c) return c.error();
  return d;
}

database::database(database&&) noexcept = default;
database& database::operator=(database&& o) noexcept {
  if (this != &o) {
    if (state_) state_->close_all();
    state_ = std::move(o.state_);
  }
  return *this;
}
database::~database() {
  if (state_) state_->close_all();
}

result<connection*> database::try_get() {
  if (!state_) return fail("db.open", "database object was moved from");
  auto& entries = this_thread_conns.entries;
  if (auto it = entries.find(state_->id); it != entries.end()) {
    // The state's strong ref keeps the connection alive while state_ lives, so the raw
    // pointer stays valid after this shared_ptr goes.
    if (auto c = it->second.conn.lock()) return c.get();
    entries.erase(it);
  }
  auto opened = connection::open(state_->path);
  if (!opened) return opened.error();
  auto c = std::make_shared<connection>(std::move(*opened));
  {
    std::lock_guard lock(state_->mutex);
    state_->conns.emplace(c.get(), c);
  }
  this_thread_conns.prune();
  entries[state_->id] = thread_entry{state_, c};
  return c.get();
}

connection& database::get() {
  auto c = try_get();
  if (!c) throw error_exception(c.error());
  return **c;
}

const std::filesystem::path& database::path() const {
  static const std::filesystem::path none;
  return state_ ? state_->path : none;
}

std::size_t database::connection_count() const {
  if (!state_) return 0;
  std::lock_guard lock(state_->mutex);
  return state_->conns.size();
}

}  // namespace hearth::db
