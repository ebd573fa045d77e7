// xmpp::store on core/sql: one implementation for SQLite and PostgreSQL. The tables and the
// "xmpp" migrations are those of the former SQLite-only store, so existing xmpp.db files open
// unchanged. The interface throws on database failures (see store.hpp), so results are
// unwrapped with value(), which throws hearth::error_exception.
#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>

#include "core/sql/sql.hpp"
#include "xmpp/store/sql_archive.hpp"
#include "xmpp/store/store.hpp"

namespace hearth::xmpp {

namespace {

// Never edit a released migration: add the next one. SQLite DDL; PostgreSQL gets it through
// sql::postgres_ddl.
constexpr sql::migration migrations[] = {
    {1, "xmpp: roster, offline, archive, pep, documents, blocking", R"sql(
CREATE TABLE roster(
  owner TEXT NOT NULL, contact TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',
  sub_to INTEGER NOT NULL DEFAULT 0, sub_from INTEGER NOT NULL DEFAULT 0,
  ask_out INTEGER NOT NULL DEFAULT 0, pending_in INTEGER NOT NULL DEFAULT 0,
  approved INTEGER NOT NULL DEFAULT 0, in_roster INTEGER NOT NULL DEFAULT 1,
  groups TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(owner, contact)
);
CREATE TABLE roster_version(owner TEXT PRIMARY KEY, ver INTEGER NOT NULL);
CREATE TABLE offline(id INTEGER PRIMARY KEY, owner TEXT NOT NULL, stanza TEXT NOT NULL);
CREATE INDEX offline_owner ON offline(owner, id);
CREATE TABLE archive(
  id INTEGER PRIMARY KEY, owner TEXT NOT NULL, stanza_id TEXT NOT NULL, with_jid TEXT NOT NULL,
  stamp INTEGER NOT NULL, stanza TEXT NOT NULL, UNIQUE(owner, stanza_id)
);
CREATE INDEX archive_owner ON archive(owner, stamp, id);
CREATE TABLE pep(
  seq INTEGER PRIMARY KEY, owner TEXT NOT NULL, node TEXT NOT NULL, item_id TEXT NOT NULL,
  payload TEXT NOT NULL, UNIQUE(owner, node, item_id)
);
CREATE TABLE docs(owner TEXT NOT NULL, kind TEXT NOT NULL, xml TEXT NOT NULL, PRIMARY KEY(owner, kind));
CREATE TABLE blocklist(owner TEXT NOT NULL, jid TEXT NOT NULL, PRIMARY KEY(owner, jid));
)sql"},
};

std::string join_groups(const std::vector<std::string>& g) {
  std::string s;
  for (const auto& x : g) {
    if (!s.empty()) s += '\n';
    s += x;
  }
  return s;
}

std::vector<std::string> split_groups(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    auto nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    if (nl > pos) out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

constexpr std::string_view roster_cols =
    "contact, name, sub_to, sub_from, ask_out, pending_in, approved, in_roster, groups";

roster_item read_item(const sql::rows& r, int i) {
  roster_item it;
  it.contact = r.text(i, 0);
  it.name = r.text(i, 1);
  it.sub_to = r.int64(i, 2) != 0;
  it.sub_from = r.int64(i, 3) != 0;
  it.ask_out = r.int64(i, 4) != 0;
  it.pending_in = r.int64(i, 5) != 0;
  it.approved = r.int64(i, 6) != 0;
  it.in_roster = r.int64(i, 7) != 0;
  it.groups = split_groups(r.text(i, 8));
  return it;
}

std::vector<std::string> column(const sql::rows& r) {
  std::vector<std::string> out;
  out.reserve(r.size());
  for (int i = 0; i < r.size(); ++i) out.push_back(r.text(i, 0));
  return out;
}

std::int64_t bump_version(sql::connection& c, std::string_view owner) {
  return c
      .query_int(
          "INSERT INTO roster_version(owner, ver) VALUES(?1, 1) "
          "ON CONFLICT(owner) DO UPDATE SET ver = roster_version.ver + 1 RETURNING ver",
          owner)
      .value()
      .value_or(0);
}

class sql_store final : public store {
 public:
  explicit sql_store(std::unique_ptr<sql::database> d) : db_(std::move(d)) {}

  std::vector<roster_item> roster(std::string_view owner) override {
    auto r = db_->get().query("SELECT " + std::string(roster_cols) + " FROM roster WHERE owner = ?1 ORDER BY contact", owner)
                 .value();
    std::vector<roster_item> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(read_item(r, i));
    return out;
  }

  std::optional<roster_item> roster_get(std::string_view owner, std::string_view contact) override {
    auto r = db_->get()
                 .query("SELECT " + std::string(roster_cols) + " FROM roster WHERE owner = ?1 AND contact = ?2", owner, contact)
                 .value();
    if (r.empty()) return std::nullopt;
    return read_item(r, 0);
  }

  std::int64_t roster_put(std::string_view owner, const roster_item& r) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    c.query("INSERT INTO roster(owner, " + std::string(roster_cols) +
                ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(owner, contact) DO UPDATE SET "
                "name = excluded.name, sub_to = excluded.sub_to, sub_from = excluded.sub_from, ask_out = excluded.ask_out, "
                "pending_in = excluded.pending_in, approved = excluded.approved, in_roster = excluded.in_roster, "
                "groups = excluded.groups",
            owner, r.contact, r.name, r.sub_to, r.sub_from, r.ask_out, r.pending_in, r.approved, r.in_roster,
            join_groups(r.groups))
        .value();
    auto v = bump_version(c, owner);
    tx.commit().value();
    return v;
  }

  std::int64_t roster_remove(std::string_view owner, std::string_view contact) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    c.query("DELETE FROM roster WHERE owner = ?1 AND contact = ?2", owner, contact).value();
    auto v = bump_version(c, owner);
    tx.commit().value();
    return v;
  }

  std::int64_t roster_version(std::string_view owner) override {
    return db_->get().query_int("SELECT ver FROM roster_version WHERE owner = ?1", owner).value().value_or(0);
  }

  bool offline_push(std::string_view owner, std::string_view stanza, std::size_t limit) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    auto n = c.query_int("SELECT count(*) FROM offline WHERE owner = ?1", owner).value().value_or(0);
    if (static_cast<std::size_t>(n) >= limit) return false;
    c.query("INSERT INTO offline(owner, stanza) VALUES(?1, ?2)", owner, stanza).value();
    tx.commit().value();
    return true;
  }

  std::size_t offline_count(std::string_view owner) override {
    return static_cast<std::size_t>(
        db_->get().query_int("SELECT count(*) FROM offline WHERE owner = ?1", owner).value().value_or(0));
  }

  std::vector<std::string> offline_pop(std::string_view owner) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    auto out = column(c.query("SELECT stanza FROM offline WHERE owner = ?1 ORDER BY id", owner).value());
    if (!out.empty()) c.query("DELETE FROM offline WHERE owner = ?1", owner).value();
    tx.commit().value();
    return out;
  }

  void archive_add(std::string_view owner, const archived& a) override {
    // Every chat message is archived twice (sender and recipient), each durably: under load the
    // fsyncs, not the inserts, are the cost, so rows that arrive while a commit is running are
    // written together in the next one.
    archive_row me{owner, &a, false, nullptr};
    std::unique_lock lk(batch_mu_);
    batch_.push_back(&me);
    while (!me.done) {
      if (batch_writing_) {
        batch_cv_.wait(lk);
        continue;
      }
      batch_writing_ = true;
      std::vector<archive_row*> rows;
      rows.swap(batch_);
      lk.unlock();
      std::exception_ptr error;
      try {
        auto& c = db_->get();
        auto tx = sql::transaction::begin(c, sql::durability::full).value();
        for (auto* r : rows)
          c.query("INSERT INTO archive(owner, stanza_id, with_jid, stamp, stanza) VALUES(?1, ?2, ?3, ?4, ?5) "
                  "ON CONFLICT(owner, stanza_id) DO NOTHING",
                  r->owner, r->a->stanza_id, r->a->with, r->a->stamp_us, r->a->stanza)
              .value();
        tx.commit().value();
      } catch (...) {
        error = std::current_exception();
      }
      lk.lock();
      for (auto* r : rows) {
        r->done = true;
        r->error = error;
      }
      batch_writing_ = false;
      batch_cv_.notify_all();
    }
    lk.unlock();
    if (me.error) std::rethrow_exception(me.error);
  }

  archive_page archive_find(std::string_view owner, const archive_query& q) override {
    return find_archive_page(db_->get(), {"archive", "owner", "with_jid"}, owner, q);
  }

  void pep_publish(std::string_view owner, std::string_view node, const pep_item& item, std::size_t max_items) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    // Delete and insert (not an upsert): a republished item becomes the newest (a new seq).
    c.query("DELETE FROM pep WHERE owner = ?1 AND node = ?2 AND item_id = ?3", owner, node, item.id).value();
    c.query("INSERT INTO pep(owner, node, item_id, payload) VALUES(?1, ?2, ?3, ?4)", owner, node, item.id, item.payload)
        .value();
    if (max_items > 0)
      c.query("DELETE FROM pep WHERE owner = ?1 AND node = ?2 AND seq NOT IN "
              "(SELECT seq FROM pep WHERE owner = ?1 AND node = ?2 ORDER BY seq DESC LIMIT ?3)",
              owner, node, max_items)
          .value();
    tx.commit().value();
  }

  std::vector<pep_item> pep_items(std::string_view owner, std::string_view node, std::size_t max) override {
    auto r = db_->get()
                 .query("SELECT item_id, payload FROM pep WHERE owner = ?1 AND node = ?2 ORDER BY seq DESC LIMIT ?3", owner,
                        node, max)
                 .value();
    std::vector<pep_item> out;
    for (int i = 0; i < r.size(); ++i) out.push_back({r.text(i, 0), r.text(i, 1)});
    return out;
  }

  bool pep_retract(std::string_view owner, std::string_view node, std::string_view id) override {
    return db_->get().query("DELETE FROM pep WHERE owner = ?1 AND node = ?2 AND item_id = ?3", owner, node, id).value().affected() >
           0;
  }

  std::vector<std::string> pep_nodes(std::string_view owner) override {
    return column(db_->get().query("SELECT DISTINCT node FROM pep WHERE owner = ?1 ORDER BY node", owner).value());
  }

  void pep_delete_node(std::string_view owner, std::string_view node) override {
    db_->get().query("DELETE FROM pep WHERE owner = ?1 AND node = ?2", owner, node).value();
  }

  std::optional<std::string> doc_get(std::string_view owner, std::string_view kind) override {
    return db_->get().query("SELECT xml FROM docs WHERE owner = ?1 AND kind = ?2", owner, kind).value().opt_text(0, 0);
  }

  void doc_put(std::string_view owner, std::string_view kind, std::string_view xml) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    c.query("INSERT INTO docs(owner, kind, xml) VALUES(?1, ?2, ?3) ON CONFLICT(owner, kind) DO UPDATE SET xml = excluded.xml",
            owner, kind, xml)
        .value();
    tx.commit().value();
  }

  std::vector<std::string> blocked(std::string_view owner) override {
    return column(db_->get().query("SELECT jid FROM blocklist WHERE owner = ?1 ORDER BY jid", owner).value());
  }

  void block(std::string_view owner, const std::vector<std::string>& jids) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    for (const auto& j : jids)
      c.query("INSERT INTO blocklist(owner, jid) VALUES(?1, ?2) ON CONFLICT(owner, jid) DO NOTHING", owner, j).value();
    tx.commit().value();
  }

  void unblock(std::string_view owner, const std::vector<std::string>& jids) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    if (jids.empty()) c.query("DELETE FROM blocklist WHERE owner = ?1", owner).value();
    for (const auto& j : jids) c.query("DELETE FROM blocklist WHERE owner = ?1 AND jid = ?2", owner, j).value();
    tx.commit().value();
  }

 private:
  std::unique_ptr<sql::database> db_;

  // Group commit for archive_add: concurrent callers' rows go into one fsync'd transaction
  // (the first waiting caller writes everyone's rows; each returns once its row is durable).
  struct archive_row {
    std::string_view owner;
    const archived* a;
    bool done = false;
    std::exception_ptr error;
  };
  std::mutex batch_mu_;
  std::condition_variable batch_cv_;
  std::vector<archive_row*> batch_;
  bool batch_writing_ = false;
};

}  // namespace

std::string roster_item::subscription() const {
  if (sub_to && sub_from) return "both";
  if (sub_to) return "to";
  if (sub_from) return "from";
  return "none";
}

result<std::unique_ptr<store>> store::open(const std::string& target) {
  auto d = sql::open_migrated(target, "xmpp", migrations);
  if (!d) return d.error();
  return std::unique_ptr<store>(std::make_unique<sql_store>(std::move(*d)));
}

}  // namespace hearth::xmpp
