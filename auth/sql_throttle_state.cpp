// throttle_state on core/sql (SQLite or PostgreSQL).
#include "auth/sql_throttle_state.hpp"

#include <atomic>

#include "core/log/log.hpp"
#include "core/sql/sql.hpp"

namespace hearth::auth {

namespace {

// Never edit a released migration: add the next one.
constexpr sql::migration migrations[] = {
    {1, "login throttle shared by the nodes", R"sql(
CREATE TABLE auth_throttle_failures(
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX auth_throttle_failures_key ON auth_throttle_failures(key, at);
CREATE INDEX auth_throttle_failures_at ON auth_throttle_failures(at);
CREATE TABLE auth_throttle_blocks(
  key TEXT PRIMARY KEY,
  until INTEGER NOT NULL
);
)sql"},
};

constexpr unsigned prune_every = 256;

std::int64_t ms(throttle_state::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
throttle_state::time_point from_ms(std::int64_t v) {
  return throttle_state::time_point(std::chrono::duration_cast<throttle_state::time_point::duration>(std::chrono::milliseconds(v)));
}

class sql_state final : public throttle_state {
 public:
  explicit sql_state(std::unique_ptr<sql::database> db) : db_(std::move(db)) {}

  std::optional<entry> get(const std::string& key, time_point since) override {
    auto r = read(key, since);
    if (!r) {
      complain("get", r.error());
      return std::nullopt;
    }
    return *r;
  }

  bool add_failure(const std::string& key, const failure& f) override {
    auto r = add(key, f);
    if (!r) {
      complain("add_failure", r.error());
      return false;
    }
    return *r;
  }

  void forget(const std::string& key) override {
    auto r = [&]() -> result<void> {
      auto c = db_->try_get();
      if (!c) return c.error();
      auto tx = sql::transaction::begin(**c);
      if (!tx) return tx.error();
      if (auto x = (*c)->query("DELETE FROM auth_throttle_failures WHERE key = ?1", key); !x) return x.error();
      if (auto x = (*c)->query("DELETE FROM auth_throttle_blocks WHERE key = ?1", key); !x) return x.error();
      return tx->commit();
    }();
    if (!r) complain("forget", r.error());
  }

  std::size_t size() override {
    auto c = db_->try_get();
    if (!c) return 0;
    auto n = (*c)->query_int(
        "SELECT COUNT(*) FROM (SELECT key FROM auth_throttle_failures UNION SELECT key FROM auth_throttle_blocks) k");
    return n && *n ? static_cast<std::size_t>(**n) : 0;
  }

 private:
  static void complain(std::string_view op, const error& e) {
    log::error("auth.throttle_store", {{"op", op}, {"code", e.code}, {"error", e.message}});
  }

  result<std::optional<entry>> read(const std::string& key, time_point since) {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto f = c.query("SELECT at FROM auth_throttle_failures WHERE key = ?1 AND at > ?2 ORDER BY at, id", key, ms(since));
    if (!f) return f.error();
    auto b = c.query_int("SELECT until FROM auth_throttle_blocks WHERE key = ?1", key);
    if (!b) return b.error();
    if (f->empty() && !*b) return std::optional<entry>();
    entry e;
    for (int i = 0; i < f->size(); ++i) e.failures.push_back(from_ms(f->int64(i, 0)));
    if (*b) e.blocked_until = from_ms(**b);
    return std::optional<entry>(std::move(e));
  }

  // The same steps as the memory state, in one transaction: serialized across nodes, so two
  // nodes' failures of one key cannot both see "one short of the block".
  result<bool> add(const std::string& key, const failure& f) {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto tx = sql::transaction::begin(c);
    if (!tx) return tx.error();
    if (++calls_ % prune_every == 0) {
      if (auto x = c.query("DELETE FROM auth_throttle_failures WHERE at <= ?1", ms(f.since)); !x) return x.error();
      if (auto x = c.query("DELETE FROM auth_throttle_blocks WHERE until <= ?1", ms(f.now)); !x) return x.error();
    }
    if (auto x = c.query("DELETE FROM auth_throttle_failures WHERE key = ?1 AND at <= ?2", key, ms(f.since)); !x)
      return x.error();
    if (auto x = c.query("INSERT INTO auth_throttle_failures(key, at) VALUES(?1, ?2)", key, ms(f.now)); !x)
      return x.error();
    auto n = c.query_int("SELECT COUNT(*) FROM auth_throttle_failures WHERE key = ?1", key);
    if (!n) return n.error();
    std::int64_t count = n->value_or(0);
    const auto keep = static_cast<std::int64_t>(f.keep);
    if (count > keep) {
      auto x = c.query(
          "DELETE FROM auth_throttle_failures WHERE id IN "
          "(SELECT id FROM auth_throttle_failures WHERE key = ?1 ORDER BY at, id LIMIT ?2)",
          key, count - keep);
      if (!x) return x.error();
      count = keep;
    }
    bool blocked = false;
    if (f.may_block && count >= keep) {
      auto until = c.query_int("SELECT until FROM auth_throttle_blocks WHERE key = ?1", key);
      if (!until) return until.error();
      if (!*until || **until <= ms(f.now)) {
        auto x = c.query(
            "INSERT INTO auth_throttle_blocks(key, until) VALUES(?1, ?2) "
            "ON CONFLICT (key) DO UPDATE SET until = excluded.until",
            key, ms(f.block_until));
        if (!x) return x.error();
        if (auto d = c.query("DELETE FROM auth_throttle_failures WHERE key = ?1", key); !d) return d.error();
        blocked = true;
      }
    }
    if (auto x = tx->commit(); !x) return x.error();
    return blocked;
  }

  std::unique_ptr<sql::database> db_;
  std::atomic<unsigned> calls_{0};
};

}  // namespace

result<std::shared_ptr<throttle_state>> open_sql_throttle_state(const std::string& target) {
  auto d = sql::open_migrated(target, "auth_throttle", migrations);
  if (!d) return d.error();
  return std::shared_ptr<throttle_state>(std::make_shared<sql_state>(std::move(*d)));
}

}  // namespace hearth::auth
