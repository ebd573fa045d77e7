// session_registry on core/sql (registry.hpp): one implementation for both engines.
#include "core/sql/sql.hpp"
#include "xmpp/store/registry.hpp"

namespace hearth::xmpp {

namespace {

// Never edit a released migration: add the next one.
constexpr sql::migration migrations[] = {
    {1, "xmpp_registry: sessions and rooms by node, node heartbeats", R"sql(
CREATE TABLE xmpp_node(node TEXT PRIMARY KEY, seen INTEGER NOT NULL, backend INTEGER NOT NULL DEFAULT 0);
CREATE TABLE xmpp_session(
  full_jid TEXT PRIMARY KEY, bare TEXT NOT NULL, node TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0, available INTEGER NOT NULL DEFAULT 0, presence TEXT NOT NULL DEFAULT ''
);
CREATE INDEX xmpp_session_bare ON xmpp_session(bare);
CREATE INDEX xmpp_session_node ON xmpp_session(node);
CREATE TABLE xmpp_room_home(room TEXT PRIMARY KEY, node TEXT NOT NULL);
)sql"},
    {2, "xmpp_registry: stanzas too big for NOTIFY, waiting for their node", R"sql(
CREATE TABLE xmpp_relay(id INTEGER PRIMARY KEY, node TEXT NOT NULL, created INTEGER NOT NULL, payload TEXT NOT NULL);
CREATE INDEX xmpp_relay_node ON xmpp_relay(node);
)sql"},
};

std::string bare_of(std::string_view full) {
  auto slash = full.find('/');
  return std::string(full.substr(0, slash));
}

class sql_registry final : public session_registry {
 public:
  sql_registry(std::unique_ptr<sql::database> d, std::chrono::seconds lease) : db_(std::move(d)), lease_(lease.count()) {
  }

  result<void> heartbeat(std::string_view node, std::int64_t backend, std::int64_t now) override {
    auto r = db_->get().query(
        "INSERT INTO xmpp_node(node, seen, backend) VALUES(?1, ?2, ?3) "
        "ON CONFLICT(node) DO UPDATE SET seen = excluded.seen, backend = excluded.backend",
        node, now, backend);
    if (!r) return r.error();
    return {};
  }

  result<void> bind(std::string_view full, std::string_view node) override {
    auto r = db_->get().query(
        "INSERT INTO xmpp_session(full_jid, bare, node, priority, available, presence) VALUES(?1, ?2, ?3, 0, 0, '') "
        "ON CONFLICT(full_jid) DO UPDATE SET node = excluded.node, priority = 0, available = 0, presence = ''",
        full, bare_of(full), node);
    if (!r) return r.error();
    return {};
  }

  result<void> update(std::string_view full, std::string_view node, int priority, bool available,
                      std::string_view presence) override {
    auto r = db_->get().query(
        "UPDATE xmpp_session SET priority = ?3, available = ?4, presence = ?5 WHERE full_jid = ?1 AND node = ?2", full,
        node, priority, available ? 1 : 0, available ? presence : std::string_view());
    if (!r) return r.error();
    return {};
  }

  result<void> unbind(std::string_view full, std::string_view node) override {
    auto r = db_->get().query("DELETE FROM xmpp_session WHERE full_jid = ?1 AND node = ?2", full, node);
    if (!r) return r.error();
    return {};
  }

  result<std::vector<bound_session>> sessions_of(std::string_view bare, std::int64_t now) override {
    auto r = db_->get().query(select() + " WHERE s.bare = ?1 AND " + live(2) + " ORDER BY s.full_jid", bare, now - lease_);
    if (!r) return r.error();
    return read(*r);
  }

  result<std::optional<bound_session>> find(std::string_view full, std::int64_t now) override {
    auto r = db_->get().query(select() + " WHERE s.full_jid = ?1 AND " + live(2), full, now - lease_);
    if (!r) return r.error();
    auto v = read(*r);
    if (v.empty()) return std::optional<bound_session>();
    return std::optional<bound_session>(std::move(v.front()));
  }

  result<room_claim> room_home(std::string_view room, std::string_view node, std::int64_t now) override {
    auto& c = db_->get();
    auto held = c.query("SELECT r.node FROM xmpp_room_home r JOIN xmpp_node n ON n.node = r.node WHERE r.room = ?1 AND " +
                            live(2),
                        room, now - lease_);
    if (!held) return held.error();
    if (!held->empty()) return room_claim{held->text(0, 0), false};
    // Claimed under the write lock, so two nodes asking at once agree on one home.
    auto tx = sql::transaction::begin(c);
    if (!tx) return tx.error();
    auto again = c.query("SELECT r.node FROM xmpp_room_home r JOIN xmpp_node n ON n.node = r.node WHERE r.room = ?1 AND " +
                             live(2),
                         room, now - lease_);
    if (!again) return again.error();
    if (!again->empty()) return room_claim{again->text(0, 0), false};
    auto put = c.query(
        "INSERT INTO xmpp_room_home(room, node) VALUES(?1, ?2) ON CONFLICT(room) DO UPDATE SET node = excluded.node",
        room, node);
    if (!put) return put.error();
    if (auto done = tx->commit(); !done) return done.error();
    return room_claim{std::string(node), true};
  }

  result<std::vector<std::string>> live_nodes(std::int64_t now) override {
    auto r = db_->get().query("SELECT n.node FROM xmpp_node n WHERE " + live(1) + " ORDER BY n.node", now - lease_);
    if (!r) return r.error();
    std::vector<std::string> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(r->text(i, 0));
    return out;
  }

  result<std::int64_t> relay_put(std::string_view node, std::string_view payload, std::int64_t now) override {
    auto r = db_->get().query("INSERT INTO xmpp_relay(node, created, payload) VALUES(?1, ?2, ?3) RETURNING id", node, now,
                              payload);
    if (!r) return r.error();
    return r->int64(0, 0);
  }

  result<std::optional<std::string>> relay_take(std::int64_t id, std::string_view node) override {
    auto r = db_->get().query("DELETE FROM xmpp_relay WHERE id = ?1 AND node = ?2 RETURNING payload", id, node);
    if (!r) return r.error();
    if (r->empty()) return std::optional<std::string>();
    return std::optional<std::string>(r->text(0, 0));
  }

  result<void> forget_node(std::string_view node) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c);
    if (!tx) return tx.error();
    for (auto q : {"DELETE FROM xmpp_session WHERE node = ?1", "DELETE FROM xmpp_room_home WHERE node = ?1",
                   "DELETE FROM xmpp_relay WHERE node = ?1", "DELETE FROM xmpp_node WHERE node = ?1"}) {
      if (auto r = c.query(q, node); !r) return r.error();
    }
    return tx->commit();
  }

  result<std::vector<bound_session>> expire(std::int64_t now) override {
    auto& c = db_->get();
    if (auto r = c.query("DELETE FROM xmpp_relay WHERE created < ?1", now - lease_); !r) return r.error();
    // Nodes call this every few seconds: the write lock only when there is something to do.
    auto any = c.query("SELECT count(*) FROM xmpp_node n WHERE NOT (" + live(1) + ")", now - lease_);
    if (!any) return any.error();
    if (any->int64(0, 0) == 0) return std::vector<bound_session>();
    // Under the write lock, so that of two nodes expiring at once one gets the sessions (and
    // tells their contacts) and the other finds nothing left.
    auto tx = sql::transaction::begin(c);
    if (!tx) return tx.error();
    auto dead = c.query("SELECT n.node FROM xmpp_node n WHERE NOT (" + live(1) + ")", now - lease_);
    if (!dead) return dead.error();
    std::vector<bound_session> gone;
    for (int i = 0; i < dead->size(); ++i) {
      const std::string node = dead->text(i, 0);
      auto s = c.query(select() + " WHERE s.node = ?1 ORDER BY s.full_jid", node);
      if (!s) return s.error();
      for (auto& b : read(*s)) gone.push_back(std::move(b));
      for (auto q : {"DELETE FROM xmpp_session WHERE node = ?1", "DELETE FROM xmpp_room_home WHERE node = ?1",
                     "DELETE FROM xmpp_relay WHERE node = ?1", "DELETE FROM xmpp_node WHERE node = ?1"}) {
        if (auto r = c.query(q, node); !r) return r.error();
      }
    }
    if (auto r = tx->commit(); !r) return r.error();
    return gone;
  }

 private:
  // A live node: ?N is the oldest heartbeat still alive. On PostgreSQL a node whose recorded
  // connection has ended is gone at once: its process died or lost the database.
  std::string live(int n) const {
    std::string s = "n.seen >= ?" + std::to_string(n);
    if (db_->kind() == sql::engine::postgres)
      s += " AND (n.backend = 0 OR EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = n.backend))";
    return s;
  }
  static std::string select() {
    return "SELECT s.full_jid, s.node, s.priority, s.available, s.presence FROM xmpp_session s "
           "JOIN xmpp_node n ON n.node = s.node";
  }
  static std::vector<bound_session> read(const sql::rows& r) {
    std::vector<bound_session> out;
    for (int i = 0; i < r.size(); ++i)
      out.push_back({r.text(i, 0), r.text(i, 1), static_cast<int>(r.int64(i, 2)), r.int64(i, 3) != 0, r.text(i, 4)});
    return out;
  }

  std::unique_ptr<sql::database> db_;
  std::int64_t lease_;
};

}  // namespace

result<std::unique_ptr<session_registry>> open_session_registry(const std::string& target,
                                                                 std::chrono::seconds lease) {
  if (lease.count() <= 0) return fail("xmpp.invalid", "the session registry's lease must be positive");
  auto d = sql::open_migrated(target, "xmpp_registry", migrations);
  if (!d) return d.error();
  return std::unique_ptr<session_registry>(new sql_registry(std::move(*d), lease));
}

}  // namespace hearth::xmpp
