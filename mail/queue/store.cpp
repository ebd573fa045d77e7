#include "mail/queue/store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "core/db/db.hpp"

namespace hearth::mail::queue {

namespace fs = std::filesystem;

namespace {

// Never edit a released migration: add the next one.
constexpr db::migration migrations[] = {
    {1, "outbound queue: messages and recipients", R"sql(
CREATE TABLE queue_messages(
  id TEXT PRIMARY KEY,
  sender TEXT NOT NULL,
  ret TEXT NOT NULL DEFAULT '',
  envid TEXT NOT NULL DEFAULT '',
  auth_user TEXT NOT NULL DEFAULT '',
  client TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL,
  created INTEGER NOT NULL
);
CREATE TABLE queue_rcpts(
  id INTEGER PRIMARY KEY,
  msg_id TEXT NOT NULL REFERENCES queue_messages(id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  domain TEXT NOT NULL,
  notify TEXT NOT NULL DEFAULT '',
  orcpt TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'queued',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt INTEGER NOT NULL,
  last_attempt INTEGER NOT NULL DEFAULT 0,
  last_reply TEXT NOT NULL DEFAULT '',
  last_status TEXT NOT NULL DEFAULT '',
  relay TEXT NOT NULL DEFAULT '',
  warned INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX queue_rcpts_due ON queue_rcpts(next_attempt);
CREATE INDEX queue_rcpts_msg ON queue_rcpts(msg_id);
)sql"},
    {2, "outbound queue: REQUIRETLS (RFC 8689)", R"sql(
ALTER TABLE queue_messages ADD COLUMN requiretls INTEGER NOT NULL DEFAULT 0;
)sql"},
};

error io_error(const std::string& what, const fs::path& p, int err) {
  return fail("queue.io", what + " " + p.string() + ": " + std::strerror(err));
}

result<void> fsync_path(const fs::path& p, int flags) {
  int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return io_error("open", p, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return io_error("fsync", p, err);
  return {};
}

// Queue ids: seconds since the epoch in hex (so they sort by age) and 8 random hex digits.
std::string make_id(std::int64_t now) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (int shift = 36; shift >= 0; shift -= 4) out += hex[(static_cast<std::uint64_t>(now) >> shift) & 0xf];
  std::uint64_t r = rng();
  for (int i = 0; i < 8; ++i, r >>= 4) out += hex[r & 0xf];
  return out;
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
  });
}

message_row read_msg(db::statement& st) {
  message_row m;
  m.id = st.column_text(0);
  m.env.from = st.column_text(1);
  m.env.ret = st.column_text(2);
  m.env.envid = st.column_text(3);
  m.env.auth_user = st.column_text(4);
  m.env.client = st.column_text(5);
  m.size = st.column_int64(6);
  m.created = st.column_int64(7);
  m.env.requiretls = st.column_int64(21) != 0;  // the last column of select_joined()
  return m;
}

rcpt_row read_rcpt(db::statement& st, int o) {
  rcpt_row r;
  r.rowid = st.column_int64(o + 0);
  r.address = st.column_text(o + 1);
  r.domain = st.column_text(o + 2);
  r.notify = st.column_text(o + 3);
  r.orcpt = st.column_text(o + 4);
  r.status = st.column_text(o + 5);
  r.attempts = static_cast<int>(st.column_int64(o + 6));
  r.next_attempt = st.column_int64(o + 7);
  r.last_attempt = st.column_int64(o + 8);
  r.last_reply = st.column_text(o + 9);
  r.last_status = st.column_text(o + 10);
  r.relay = st.column_text(o + 11);
  r.warned = st.column_int64(o + 12) != 0;
  return r;
}

// Runs a query whose rows are message columns followed by recipient columns, ordered by
// message; groups them.
result<std::vector<message_row>> grouped(db::statement& st) {
  std::vector<message_row> out;
  for (;;) {
    auto more = st.step();
    if (!more) return more.error();
    if (!*more) break;
    std::string id = st.column_text(0);
    if (out.empty() || out.back().id != id) out.push_back(read_msg(st));
    out.back().rcpts.push_back(read_rcpt(st, 8));
  }
  return out;
}


std::string select_joined(std::string_view where, std::string_view order_limit) {
  std::string s = "SELECT m.id, m.sender, m.ret, m.envid, m.auth_user, m.client, m.size, m.created, "
                  "r.id, r.address, r.domain, r.notify, r.orcpt, r.status, r.attempts, r.next_attempt, "
                  "r.last_attempt, r.last_reply, r.last_status, r.relay, r.warned, m.requiretls "
                  "FROM queue_messages m JOIN queue_rcpts r ON r.msg_id = m.id ";
  s += where;
  s += " ";
  s += order_limit;
  return s;
}

}  // namespace

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string d(address.substr(at + 1));
  for (auto& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return d;
}

store::~store() = default;

result<std::shared_ptr<store>> store::open(const fs::path& data_dir, const fs::path& db_file) {
  std::shared_ptr<store> s(new store());
  s->dir_ = data_dir / "queue";
  std::error_code ec;
  fs::create_directories(s->dir_, ec);
  if (ec) return fail("queue.io", "cannot create " + s->dir_.string() + ": " + ec.message());
  auto d = db::database::open(db_file);
  if (!d) return d.error();
  s->db_ = std::make_unique<db::database>(std::move(*d));
  auto c = s->db_->try_get();
  if (!c) return c.error();
  auto v = db::migrate(**c, "queue", migrations);
  if (!v) return v.error();
  return s;
}

fs::path store::spool_path(std::string_view id) const { return dir_ / (std::string(id) + ".eml"); }

result<std::string> store::add(const envelope& env, std::string_view message, std::int64_t now) {
  if (env.rcpts.empty()) return fail("queue.invalid", "no recipient");
  for (const auto& r : env.rcpts)
    if (r.address.empty() || r.address.find('@') == std::string::npos || r.address.size() > 512)
      return fail("queue.invalid", "bad recipient address");
  auto cr = db_->try_get();
  if (!cr) return cr.error();
  auto& c = **cr;
  for (int tries = 0;; ++tries) {
    std::string id = make_id(now);
    fs::path final_path = spool_path(id);
    if (fs::exists(final_path)) continue;
    fs::path tmp = dir_ / (id + ".tmp");
    {
      int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0) return io_error("create", tmp, errno);
      std::size_t off = 0;
      while (off < message.size()) {
        ssize_t n = ::write(fd, message.data() + off, message.size() - off);
        if (n < 0) {
          if (errno == EINTR) continue;
          int err = errno;
          ::close(fd);
          ::unlink(tmp.c_str());
          return io_error("write", tmp, err);
        }
        off += static_cast<std::size_t>(n);
      }
      if (::fsync(fd) != 0) {
        int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return io_error("fsync", tmp, err);
      }
      ::close(fd);
    }
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return io_error("rename", tmp, err);
    }
    if (auto r = fsync_path(dir_, O_RDONLY | O_DIRECTORY); !r) {
      ::unlink(final_path.c_str());
      return r.error();
    }
    auto tx = db::transaction::begin(c, db::durability::full);
    if (!tx) {
      ::unlink(final_path.c_str());
      return tx.error();
    }
    auto ins = c.prepare(
        "INSERT INTO queue_messages(id, sender, ret, envid, auth_user, client, size, created, requiretls) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!ins) return ins.error();
    ins->bind_all(id, env.from, env.ret, env.envid, env.auth_user, env.client, static_cast<std::int64_t>(message.size()), now,
                  env.requiretls);
    if (auto r = ins->run(); !r) {
      ::unlink(final_path.c_str());
      if (r.error().code == "db.constraint" && tries < 5) continue;
      return r.error();
    }
    auto rc = c.prepare(
        "INSERT INTO queue_rcpts(msg_id, address, domain, notify, orcpt, next_attempt) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    if (!rc) return rc.error();
    for (const auto& r : env.rcpts) {
      rc->reset();
      rc->bind_all(id, r.address, domain_of(r.address), r.notify, r.orcpt, now);
      if (auto x = rc->run(); !x) {
        ::unlink(final_path.c_str());
        return x.error();
      }
    }
    if (auto x = tx->commit(); !x) {
      ::unlink(final_path.c_str());
      return x.error();
    }
    return id;
  }
}

result<std::vector<message_row>> store::due(std::int64_t now, std::size_t limit) {
  auto cr = db_->try_get();
  if (!cr) return cr.error();
  // The ids first (bounded), then their due recipients.
  auto ids = (*cr)->prepare(
      "SELECT DISTINCT r.msg_id, m.created FROM queue_rcpts r JOIN queue_messages m ON m.id = r.msg_id "
      "WHERE r.next_attempt <= ?1 OR r.status = 'bounce' ORDER BY m.created LIMIT ?2");
  if (!ids) return ids.error();
  ids->bind_all(now, static_cast<std::int64_t>(limit));
  std::vector<std::string> list;
  for (;;) {
    auto more = ids->step();
    if (!more) return more.error();
    if (!*more) break;
    list.push_back(ids->column_text(0));
  }
  std::vector<message_row> out;
  auto st = (*cr)->prepare(select_joined("WHERE m.id = ?1 AND (r.next_attempt <= ?2 OR r.status = 'bounce')", "ORDER BY r.id"));
  if (!st) return st.error();
  for (const auto& id : list) {
    st->reset();
    st->bind_all(id, now);
    auto g = grouped(*st);
    if (!g) return g.error();
    for (auto& m : *g) out.push_back(std::move(m));
  }
  return out;
}

result<std::vector<message_row>> store::list() {
  auto cr = db_->try_get();
  if (!cr) return cr.error();
  auto st = (*cr)->prepare(select_joined("", "ORDER BY m.created, m.id, r.id"));
  if (!st) return st.error();
  return grouped(*st);
}

result<message_row> store::get(std::string_view id) {
  if (!valid_id(id)) return fail("queue.not_found", "no queue entry " + std::string(id));
  auto cr = db_->try_get();
  if (!cr) return cr.error();
  auto st = (*cr)->prepare(select_joined("WHERE m.id = ?1 COLLATE NOCASE", "ORDER BY r.id"));
  if (!st) return st.error();
  st->bind(1, id);
  auto g = grouped(*st);
  if (!g) return g.error();
  if (g->empty()) return fail("queue.not_found", "no queue entry " + std::string(id));
  return std::move(g->front());
}

result<std::optional<std::int64_t>> store::next_due() {
  auto cr = db_->try_get();
  if (!cr) return cr.error();
  auto st = (*cr)->prepare("SELECT MIN(next_attempt) FROM queue_rcpts");
  if (!st) return st.error();
  auto more = st->step();
  if (!more) return more.error();
  if (!*more || st->column_is_null(0)) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{st->column_int64(0)};
}

result<std::string> store::read_message(std::string_view id) {
  if (!valid_id(id)) return fail("queue.not_found", "no queue entry " + std::string(id));
  fs::path p = spool_path(id);
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    int err = errno;
    if (err == ENOENT) return fail("queue.missing", "spool file " + p.string() + " is missing");
    return io_error("open", p, err);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return io_error("read", p, errno);
  return ss.str();
}

namespace {
// Inside the caller's transaction: deletes the message row once no recipient is left. Returns
// whether it did (the caller removes the spool file after its commit).
result<bool> delete_if_empty(db::connection& c, std::string_view id) {
  auto st = c.prepare("DELETE FROM queue_messages WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM queue_rcpts WHERE msg_id = ?1)");
  if (!st) return st.error();
  st->bind(1, id);
  if (auto r = st->run(); !r) return r.error();
  return c.changes() > 0;
}
}  // namespace

result<void> store::drop_if_empty(std::string_view id) {
  auto cr = db_->try_get();
  if (!cr) return cr.error();
  auto& c = **cr;
  bool gone = false;
  {
    auto tx = db::transaction::begin(c, db::durability::full);
    if (!tx) return tx.error();
    auto d = delete_if_empty(c, id);
    if (!d) return d.error();
    gone = *d;
    if (auto r = tx->commit(); !r) return r.error();
  }
  if (gone) {
    std::error_code ec;
    fs::remove(spool_path(id), ec);
  }
  return {};
}

result<void> store::record(std::string_view id, const std::vector<outcome>& outcomes) {
  auto cr = db_->try_get();
  if (!cr) return cr.error();
  auto& c = **cr;
  bool gone = false;
  {
    auto tx = db::transaction::begin(c, db::durability::full);
    if (!tx) return tx.error();
    auto del = c.prepare("DELETE FROM queue_rcpts WHERE id = ?1");
    if (!del) return del.error();
    auto upd = c.prepare(
        "UPDATE queue_rcpts SET attempts = ?2, next_attempt = ?3, last_attempt = ?4, last_reply = ?5, "
        "last_status = ?6, relay = ?7, status = 'queued' WHERE id = ?1");
    if (!upd) return upd.error();
    auto warn = c.prepare("UPDATE queue_rcpts SET warned = 1 WHERE id = ?1");
    if (!warn) return warn.error();
    for (const auto& o : outcomes) {
      result<void> r;
      switch (o.k) {
        case outcome::kind::done:
          del->reset();
          del->bind(1, o.rowid);
          r = del->run();
          break;
        case outcome::kind::deferred:
          upd->reset();
          upd->bind_all(o.rowid, o.attempts, o.next_attempt, o.last_attempt, o.last_reply, o.last_status, o.relay);
          r = upd->run();
          break;
        case outcome::kind::warned:
          warn->reset();
          warn->bind(1, o.rowid);
          r = warn->run();
          break;
      }
      if (!r) return r.error();
    }
    // In the same transaction: one durable commit per attempt, which is also the whole window
    // in which a crash after the remote's 250 makes the message go out twice.
    auto d = delete_if_empty(c, id);
    if (!d) return d.error();
    gone = *d;
    if (auto r = tx->commit(); !r) return r.error();
  }
  if (gone) {
    std::error_code ec;
    fs::remove(spool_path(id), ec);
  }
  return {};
}

result<int> store::flush(std::optional<std::string_view> id, std::int64_t now) {
  auto cr = db_->try_get();
  if (!cr) return cr.error();
  auto& c = **cr;
  auto tx = db::transaction::begin(c, db::durability::full);
  if (!tx) return tx.error();
  auto st = id ? c.prepare("UPDATE queue_rcpts SET next_attempt = ?1 WHERE msg_id = ?2 COLLATE NOCASE")
               : c.prepare("UPDATE queue_rcpts SET next_attempt = ?1");
  if (!st) return st.error();
  st->bind(1, now);
  if (id) st->bind(2, *id);
  if (auto r = st->run(); !r) return r.error();
  int n = c.changes();
  if (auto r = tx->commit(); !r) return r.error();
  if (id && n == 0) return fail("queue.not_found", "no queue entry " + std::string(*id));
  return n;
}

result<int> store::remove(std::string_view id) {
  auto m = get(id);
  if (!m) return m.error();
  auto cr = db_->try_get();
  if (!cr) return cr.error();
  auto& c = **cr;
  int n = 0;
  {
    auto tx = db::transaction::begin(c, db::durability::full);
    if (!tx) return tx.error();
    auto st = c.prepare("DELETE FROM queue_rcpts WHERE msg_id = ?1");
    if (!st) return st.error();
    st->bind(1, m->id);
    if (auto r = st->run(); !r) return r.error();
    n = c.changes();
    if (auto r = tx->commit(); !r) return r.error();
  }
  if (auto r = drop_if_empty(m->id); !r) return r.error();
  return n;
}

result<int> store::request_bounce(std::string_view id, std::int64_t now) {
  auto m = get(id);
  if (!m) return m.error();
  auto cr = db_->try_get();
  if (!cr) return cr.error();
  auto& c = **cr;
  auto tx = db::transaction::begin(c, db::durability::full);
  if (!tx) return tx.error();
  auto st = c.prepare("UPDATE queue_rcpts SET status = 'bounce', next_attempt = ?2 WHERE msg_id = ?1");
  if (!st) return st.error();
  st->bind_all(m->id, now);
  if (auto r = st->run(); !r) return r.error();
  int n = c.changes();
  if (auto r = tx->commit(); !r) return r.error();
  return n;
}

result<void> store::postpone(std::string_view id, std::int64_t until) {
  auto cr = db_->try_get();
  if (!cr) return cr.error();
  auto& c = **cr;
  auto tx = db::transaction::begin(c, db::durability::full);
  if (!tx) return tx.error();
  auto st = c.prepare("UPDATE queue_rcpts SET next_attempt = ?2 WHERE msg_id = ?1 AND next_attempt < ?2");
  if (!st) return st.error();
  st->bind_all(std::string(id), until);
  if (auto r = st->run(); !r) return r.error();
  return tx->commit();
}

result<int> store::remove_orphans(std::chrono::seconds min_age) {
  const auto cutoff = fs::file_time_type::clock::now() - min_age;
  auto cr = db_->try_get();
  if (!cr) return cr.error();
  auto st = (*cr)->prepare("SELECT 1 FROM queue_messages WHERE id = ?1");
  if (!st) return st.error();
  int removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    auto name = e.path().filename().string();
    auto dot = name.rfind('.');
    if (dot == std::string::npos) continue;
    std::string id = name.substr(0, dot), ext = name.substr(dot);
    bool orphan = ext == ".tmp";
    if (ext == ".eml") {
      st->reset();
      st->bind(1, id);
      auto more = st->step();
      if (!more) return more.error();
      orphan = !*more;
    }
    if (orphan) {
      std::error_code tec;
      auto written = fs::last_write_time(e.path(), tec);
      if (tec || written > cutoff) continue;
      std::error_code rec;
      if (fs::remove(e.path(), rec)) ++removed;
    }
  }
  return removed;
}

}  // namespace hearth::mail::queue
