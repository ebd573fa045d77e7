// queue::store on core/sql (SQLite or PostgreSQL), with the message bytes in spool files.
#include <algorithm>
#include <random>
#include <span>
#include <utility>

#include "core/sql/sql.hpp"
#include "mail/queue/spool.hpp"
#include "mail/queue/store.hpp"

namespace hearth::mail::queue {

namespace fs = std::filesystem;

namespace {

// Never edit a released migration: add the next one.
constexpr sql::migration migrations[] = {
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
    {3, "outbound queue: claims of several nodes", R"sql(
ALTER TABLE queue_rcpts ADD COLUMN claim_node TEXT NOT NULL DEFAULT '';
ALTER TABLE queue_rcpts ADD COLUMN claim_until INTEGER NOT NULL DEFAULT 0;
)sql"},
    {4, "outbound queue: message bodies in the database (PostgreSQL)", R"sql(
CREATE TABLE queue_bodies(
  msg_id TEXT PRIMARY KEY REFERENCES queue_messages(id) ON DELETE CASCADE,
  body BLOB NOT NULL
);
)sql"},
    {5, "outbound queue: message bodies in parts (PostgreSQL)", R"sql(
CREATE TABLE queue_body_parts(
  msg_id TEXT NOT NULL REFERENCES queue_messages(id) ON DELETE CASCADE,
  part INTEGER NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY(msg_id, part)
);
)sql"},
};

// A recipient row is due (as in due()) and no other node holds a live claim on it. ?1 is now,
// ?2 this node. A claim whose lease has run out is free: its node died or lost the database.
constexpr std::string_view due_and_free =
    "(r.next_attempt <= ?1 OR r.status = 'bounce') AND (r.claim_node = '' OR r.claim_node = ?2 OR r.claim_until <= ?1)";

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

// Ids are made in upper case (make_id); an administrator may type them in either. Comparing
// the canonical form keeps the index usable and needs no engine's case folding.
std::string canonical_id(std::string_view id) {
  std::string s(id);
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

constexpr std::string_view joined_columns =
    "SELECT m.id, m.sender, m.ret, m.envid, m.auth_user, m.client, m.size, m.created, m.requiretls, "
    "r.id, r.address, r.domain, r.notify, r.orcpt, r.status, r.attempts, r.next_attempt, "
    "r.last_attempt, r.last_reply, r.last_status, r.relay, r.warned "
    "FROM queue_messages m JOIN queue_rcpts r ON r.msg_id = m.id ";

std::string select_joined(std::string_view where_order) { return std::string(joined_columns) + std::string(where_order); }

// Rows of joined_columns, ordered by message, grouped into messages.
std::vector<message_row> grouped(const sql::rows& r) {
  std::vector<message_row> out;
  for (int i = 0; i < r.size(); ++i) {
    std::string id = r.text(i, 0);
    if (out.empty() || out.back().id != id) {
      message_row m;
      m.id = std::move(id);
      m.env.from = r.text(i, 1);
      m.env.ret = r.text(i, 2);
      m.env.envid = r.text(i, 3);
      m.env.auth_user = r.text(i, 4);
      m.env.client = r.text(i, 5);
      m.size = r.int64(i, 6);
      m.created = r.int64(i, 7);
      m.env.requiretls = r.int64(i, 8) != 0;
      out.push_back(std::move(m));
    }
    rcpt_row x;
    x.rowid = r.int64(i, 9);
    x.address = r.text(i, 10);
    x.domain = r.text(i, 11);
    x.notify = r.text(i, 12);
    x.orcpt = r.text(i, 13);
    x.status = r.text(i, 14);
    x.attempts = static_cast<int>(r.int64(i, 15));
    x.next_attempt = r.int64(i, 16);
    x.last_attempt = r.int64(i, 17);
    x.last_reply = r.text(i, 18);
    x.last_status = r.text(i, 19);
    x.relay = r.text(i, 20);
    x.warned = r.int64(i, 21) != 0;
    out.back().rcpts.push_back(std::move(x));
  }
  return out;
}

error not_found(std::string_view id) { return fail("queue.not_found", "no queue entry " + std::string(id)); }

// A body stored in queue_body_parts: one part fetched per next(), on the calling thread's
// connection (the reader may move between pool threads).
class parts_reader final : public message_reader {
 public:
  parts_reader(sql::database& db, std::string id, std::int64_t parts) : db_(db), id_(std::move(id)), parts_(parts) {}
  result<std::string> next() override {
    if (at_ >= parts_) return std::string();
    auto cr = db_.try_get();
    if (!cr) return cr.error();
    auto r = (*cr)->query("SELECT body FROM queue_body_parts WHERE msg_id = ?1 AND part = ?2", id_, at_);
    if (!r) return r.error();
    if (r->empty())
      return fail("queue.missing", "part " + std::to_string(at_) + " of queue entry " + id_ + " is missing");
    ++at_;
    auto b = r->bytes(0, 0);
    return std::string(b.begin(), b.end());
  }

 private:
  sql::database& db_;
  std::string id_;
  std::int64_t parts_;
  std::int64_t at_ = 0;
};

// A body already in memory, given as one piece.
class whole_reader final : public message_reader {
 public:
  explicit whole_reader(std::string body) : body_(std::move(body)) {}
  result<std::string> next() override { return std::exchange(body_, std::string()); }

 private:
  std::string body_;
};

class sql_store final : public store {
 public:
  sql_store(spool sp, std::unique_ptr<sql::database> d, claim_options claims)
      : spool_(std::move(sp)), db_(std::move(d)), claims_(std::move(claims)) {}

  result<std::string> add(const envelope& env, const piece_source& message, std::int64_t now) override {
    if (env.rcpts.empty()) return fail("queue.invalid", "no recipient");
    for (const auto& r : env.rcpts)
      if (r.address.empty() || r.address.find('@') == std::string::npos || r.address.size() > 512)
        return fail("queue.invalid", "bad recipient address");
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    const bool in_db = bodies_in_db(c);
    // The source is read once: a retry with another id (a clash, below) is possible only
    // while nothing was read from it.
    bool read = false;
    const piece_source once = [&](const piece_sink& out) -> result<void> {
      if (read) return fail("queue.io", "the message was already read");
      read = true;
      return message(out);
    };
    for (int tries = 0;; ++tries) {
      std::string id = make_id(now);
      result<void> r;
      if (!in_db) {
        auto w = spool_.write(id, once);
        if (!w) {
          if (w.error().code == "queue.exists" && !read) continue;
          return w.error();
        }
        r = insert(c, id, env, nullptr, *w, now);
      } else {
        r = insert(c, id, env, &once, 0, now);
      }
      if (!r) {
        if (!in_db) spool_.remove(id);
        // Another message got the same id between our file check and commit: take another.
        if (r.error().code == "db.constraint" && tries < 5 && !read) continue;
        return r.error();
      }
      return id;
    }
  }

  result<std::vector<message_row>> due(std::int64_t now, std::size_t limit) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    const std::string free(due_and_free);
    // The agent asks every second: an idle queue must not take the write lock each time (on
    // SQLite it would stall every commit behind it for that moment), so a plain read first.
    auto any = c.query_int("SELECT 1 FROM queue_rcpts r WHERE " + free + " LIMIT 1", now, claims_.node);
    if (!any) return any.error();
    if (!*any) return std::vector<message_row>{};
    // The claim and the read in one transaction. Write transactions are serialized on both
    // engines (sql::transaction), and on PostgreSQL the rows are also locked with SKIP LOCKED,
    // so a row another node is claiming right now is passed over rather than waited for.
    // A lost claim is harmless (it is taken again), hence normal durability.
    auto tx = sql::transaction::begin(c, sql::durability::normal);
    if (!tx) return tx.error();
    auto ids = c.query("SELECT DISTINCT r.msg_id, m.created FROM queue_rcpts r JOIN queue_messages m ON m.id = r.msg_id "
                       "WHERE " + free + " ORDER BY m.created, r.msg_id LIMIT ?3",
                       now, claims_.node, static_cast<std::int64_t>(limit));
    if (!ids) return ids.error();
    const std::string lock = c.kind() == sql::engine::postgres ? " FOR UPDATE SKIP LOCKED" : "";
    const std::string claim = "UPDATE queue_rcpts SET claim_node = ?2, claim_until = ?4 WHERE id IN "
                              "(SELECT r.id FROM queue_rcpts r WHERE r.msg_id = ?3 AND " + free + lock + ")";
    const std::int64_t until = now + claims_.lease.count();
    std::vector<message_row> out;
    for (int i = 0; i < ids->size(); ++i) {
      const std::string id = ids->text(i, 0);
      auto u = c.query(claim, now, claims_.node, id, until);
      if (!u) return u.error();
      if (u->affected() == 0) continue;  // taken by another node since the first read
      auto r = c.query(select_joined("WHERE m.id = ?1 AND r.claim_node = ?2 AND r.claim_until = ?3 ORDER BY r.id"),
                       id, claims_.node, until);
      if (!r) return r.error();
      for (auto& m : grouped(*r)) out.push_back(std::move(m));
    }
    if (auto x = tx->commit(); !x) return x.error();
    return out;
  }

  result<int> renew_claims(std::int64_t now) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto r = (*cr)->query("UPDATE queue_rcpts SET claim_until = ?2 WHERE claim_node = ?1", claims_.node,
                          now + claims_.lease.count());
    if (!r) return r.error();
    return static_cast<int>(r->affected());
  }

  result<int> release_claims() override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto r = (*cr)->query("UPDATE queue_rcpts SET claim_node = '', claim_until = 0 WHERE claim_node = ?1", claims_.node);
    if (!r) return r.error();
    return static_cast<int>(r->affected());
  }

  result<void> release_message(std::string_view id) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto r = (*cr)->query("UPDATE queue_rcpts SET claim_node = '', claim_until = 0 WHERE msg_id = ?1 AND claim_node = ?2",
                          canonical_id(id), claims_.node);
    if (!r) return r.error();
    return {};
  }

  const std::string& node() const override { return claims_.node; }

  result<std::vector<message_row>> list() override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto r = (*cr)->query(select_joined("ORDER BY m.created, m.id, r.id"));
    if (!r) return r.error();
    return grouped(*r);
  }

  result<message_row> get(std::string_view id) override {
    if (!valid_id(id)) return not_found(id);
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto r = (*cr)->query(select_joined("WHERE m.id = ?1 ORDER BY r.id"), canonical_id(id));
    if (!r) return r.error();
    auto g = grouped(*r);
    if (g.empty()) return not_found(id);
    return std::move(g.front());
  }

  result<std::optional<std::int64_t>> next_due() override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    return (*cr)->query_int("SELECT MIN(next_attempt) FROM queue_rcpts");
  }

  result<std::unique_ptr<message_reader>> open_message(std::string_view id) override {
    if (!valid_id(id)) return not_found(id);
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    // Each engine looks where it writes first, then where the other engine writes: a queue
    // that `hearth db copy` moved between engines keeps its messages (spool files stay in the
    // data directory; stored bodies come along with the rows). A body stored whole (one
    // queue_bodies row) is read as one piece.
    const bool in_db = bodies_in_db(c);
    if (!in_db) {
      auto f = spool_.open_reader(id, queue_part_size);
      if (f || f.error().code != "queue.missing") return f;
    }
    const std::string key = canonical_id(id);
    auto parts = c.query_int("SELECT COUNT(*) FROM queue_body_parts WHERE msg_id = ?1", key);
    if (!parts) return parts.error();
    if (parts->value_or(0) > 0)
      return std::unique_ptr<message_reader>(std::make_unique<parts_reader>(*db_, key, parts->value_or(0)));
    auto r = c.query("SELECT body FROM queue_bodies WHERE msg_id = ?1", key);
    if (!r) return r.error();
    if (r->empty()) {
      if (in_db) return spool_.open_reader(id, queue_part_size);
      return fail("queue.missing", "no spool file or stored body for queue entry " + std::string(id));
    }
    auto b = r->bytes(0, 0);
    return std::unique_ptr<message_reader>(std::make_unique<whole_reader>(std::string(b.begin(), b.end())));
  }

  fs::path spool_path(std::string_view id) const override { return spool_.path(id); }

  result<void> record(std::string_view id, const std::vector<outcome>& outcomes) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto tx = sql::transaction::begin(c, sql::durability::full);
    if (!tx) return tx.error();
    for (const auto& o : outcomes) {
      result<sql::rows> r;
      switch (o.k) {
        case outcome::kind::done: r = c.query("DELETE FROM queue_rcpts WHERE id = ?1", o.rowid); break;
        case outcome::kind::deferred:
          r = c.query(
              "UPDATE queue_rcpts SET attempts = ?2, next_attempt = ?3, last_attempt = ?4, last_reply = ?5, "
              "last_status = ?6, relay = ?7, status = 'queued', claim_node = '', claim_until = 0 WHERE id = ?1",
              o.rowid, o.attempts, o.next_attempt, o.last_attempt, o.last_reply, o.last_status, o.relay);
          break;
        case outcome::kind::warned: r = c.query("UPDATE queue_rcpts SET warned = 1 WHERE id = ?1", o.rowid); break;
      }
      if (!r) return r.error();
    }
    // In the same transaction: one durable commit per attempt, which is also the whole window
    // in which a crash after the remote's 250 makes the message go out twice.
    auto gone = delete_if_empty(c, id);
    if (!gone) return gone.error();
    if (auto r = tx->commit(); !r) return r.error();
    if (*gone) spool_.remove(id);
    return {};
  }

  result<int> flush(std::optional<std::string_view> id, std::int64_t now) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto tx = sql::transaction::begin(c, sql::durability::full);
    if (!tx) return tx.error();
    auto r = id ? c.query("UPDATE queue_rcpts SET next_attempt = ?1 WHERE msg_id = ?2", now, canonical_id(*id))
                : c.query("UPDATE queue_rcpts SET next_attempt = ?1", now);
    if (!r) return r.error();
    if (auto x = tx->commit(); !x) return x.error();
    if (id && r->affected() == 0) return not_found(*id);
    return static_cast<int>(r->affected());
  }

  result<int> remove(std::string_view id) override {
    auto m = get(id);
    if (!m) return m.error();
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto tx = sql::transaction::begin(c, sql::durability::full);
    if (!tx) return tx.error();
    auto r = c.query("DELETE FROM queue_rcpts WHERE msg_id = ?1", m->id);
    if (!r) return r.error();
    auto gone = delete_if_empty(c, m->id);
    if (!gone) return gone.error();
    if (auto x = tx->commit(); !x) return x.error();
    if (*gone) spool_.remove(m->id);
    return static_cast<int>(r->affected());
  }

  result<int> request_bounce(std::string_view id, std::int64_t now) override {
    auto m = get(id);
    if (!m) return m.error();
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto tx = sql::transaction::begin(c, sql::durability::full);
    if (!tx) return tx.error();
    auto r = c.query("UPDATE queue_rcpts SET status = 'bounce', next_attempt = ?2 WHERE msg_id = ?1", m->id, now);
    if (!r) return r.error();
    if (auto x = tx->commit(); !x) return x.error();
    return static_cast<int>(r->affected());
  }

  result<void> postpone(std::string_view id, std::int64_t until) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto tx = sql::transaction::begin(c, sql::durability::full);
    if (!tx) return tx.error();
    auto r = c.query("UPDATE queue_rcpts SET next_attempt = ?2 WHERE msg_id = ?1 AND next_attempt < ?2",
                     canonical_id(id), until);
    if (!r) return r.error();
    // The attempt is over: another node may take the message when it is due again.
    auto u = c.query("UPDATE queue_rcpts SET claim_node = '', claim_until = 0 WHERE msg_id = ?1 AND claim_node = ?2",
                     canonical_id(id), claims_.node);
    if (!u) return u.error();
    return tx->commit();
  }

  result<int> remove_orphans(std::chrono::seconds min_age) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    return spool_.remove_orphans(min_age, [&](const std::string& id) -> result<bool> {
      auto r = c.query("SELECT 1 FROM queue_messages WHERE id = ?1", id);
      if (!r) return r.error();
      return !r->empty();
    });
  }

 private:
  // Where the message bytes live. Spool files are local to one machine's data directory;
  // nodes sharing a PostgreSQL database deliver each other's messages, so there the bytes go
  // into the database, in the transaction that commits the rows (which also makes that one
  // durable commit, without the spool's file and folder fsyncs).
  static bool bodies_in_db(const sql::connection& c) { return c.kind() == sql::engine::postgres; }

  // The message row and its recipients in one durable transaction; with `body`, the message's
  // bytes too, read from it into parts of queue_part_size (the size is known only once it is
  // read: the row gets it at the end). Otherwise `size` is the spool file's.
  static result<void> insert(sql::connection& c, const std::string& id, const envelope& env, const piece_source* body,
                             std::uint64_t size, std::int64_t now) {
    auto tx = sql::transaction::begin(c, sql::durability::full);
    if (!tx) return tx.error();
    auto m = c.query(
        "INSERT INTO queue_messages(id, sender, ret, envid, auth_user, client, size, created, requiretls) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        id, env.from, env.ret, env.envid, env.auth_user, env.client, static_cast<std::int64_t>(size), now,
        env.requiretls ? 1 : 0);
    if (!m) return m.error();
    if (body) {
      std::string part;
      std::int64_t n = 0;
      std::uint64_t total = 0;
      auto flush = [&]() -> result<void> {
        std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(part.data()), part.size());
        auto b = c.query("INSERT INTO queue_body_parts(msg_id, part, body) VALUES(?1, ?2, ?3)", id, n, bytes);
        if (!b) return b.error();
        ++n;
        part.clear();
        return {};
      };
      auto put = [&](std::string_view piece) -> result<void> {
        total += piece.size();
        while (!piece.empty()) {
          const std::size_t take = std::min(piece.size(), queue_part_size - part.size());
          part.append(piece.substr(0, take));
          piece.remove_prefix(take);
          if (part.size() == queue_part_size)
            if (auto r = flush(); !r) return r;
        }
        return {};
      };
      if (auto r = (*body)(put); !r) return r.error();
      // An empty message still gets its one (empty) part: a message without parts is one
      // whose body went missing.
      if (!part.empty() || n == 0)
        if (auto r = flush(); !r) return r.error();
      auto u = c.query("UPDATE queue_messages SET size = ?2 WHERE id = ?1", id, static_cast<std::int64_t>(total));
      if (!u) return u.error();
    }
    for (const auto& r : env.rcpts) {
      auto x = c.query(
          "INSERT INTO queue_rcpts(msg_id, address, domain, notify, orcpt, next_attempt) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
          id, r.address, domain_of(r.address), r.notify, r.orcpt, now);
      if (!x) return x.error();
    }
    return tx->commit();
  }

  // Inside the caller's transaction: deletes the message row once no recipient is left.
  // Returns whether it did (the caller removes the spool file after its commit).
  static result<bool> delete_if_empty(sql::connection& c, std::string_view id) {
    auto r = c.query(
        "DELETE FROM queue_messages WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM queue_rcpts WHERE msg_id = ?1)", id);
    if (!r) return r.error();
    return r->affected() > 0;
  }

  spool spool_;
  std::unique_ptr<sql::database> db_;
  claim_options claims_;
};

}  // namespace

result<std::shared_ptr<store>> store::open(const fs::path& data_dir, const std::string& target, claim_options claims) {
  auto sp = spool::open(data_dir);
  if (!sp) return sp.error();
  if (claims.node.empty()) {
    auto n = node_id(data_dir);
    if (!n) return n.error();
    claims.node = std::move(*n);
  }
  if (claims.lease.count() <= 0) return fail("queue.invalid", "the claim lease must be positive");
  auto d = sql::open_migrated(target, "queue", migrations);
  if (!d) return d.error();
  return std::shared_ptr<store>(std::make_shared<sql_store>(std::move(*sp), std::move(*d), std::move(claims)));
}

}  // namespace hearth::mail::queue
