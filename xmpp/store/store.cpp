#include "xmpp/store/store.hpp"

#include <algorithm>
#include <exception>

namespace hearth::xmpp {

namespace {

constexpr db::migration migrations[] = {
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

std::int64_t bump_version(db::connection& c, std::string_view owner) {
  c.prepare("INSERT INTO roster_version(owner, ver) VALUES(?1, 1) ON CONFLICT(owner) DO UPDATE SET ver = ver + 1")
      .value()
      .bind_all(owner)
      .run()
      .value();
  auto st = c.prepare("SELECT ver FROM roster_version WHERE owner = ?1").value();
  st.bind_all(owner);
  return st.step().value() ? st.column_int64(0) : 0;
}

roster_item read_item(db::statement& st) {
  roster_item r;
  r.contact = st.column_text(0);
  r.name = st.column_text(1);
  r.sub_to = st.column_int64(2) != 0;
  r.sub_from = st.column_int64(3) != 0;
  r.ask_out = st.column_int64(4) != 0;
  r.pending_in = st.column_int64(5) != 0;
  r.approved = st.column_int64(6) != 0;
  r.in_roster = st.column_int64(7) != 0;
  r.groups = split_groups(st.column_text(8));
  return r;
}

constexpr std::string_view roster_cols =
    "contact, name, sub_to, sub_from, ask_out, pending_in, approved, in_roster, groups";

}  // namespace

std::string roster_item::subscription() const {
  if (sub_to && sub_from) return "both";
  if (sub_to) return "to";
  if (sub_from) return "from";
  return "none";
}

result<std::unique_ptr<store>> store::open(const std::filesystem::path& file) {
  auto d = db::database::open(file);
  if (!d) return d.error();
  auto v = db::migrate(d->get(), "xmpp", migrations);
  if (!v) return v.error();
  return std::unique_ptr<store>(new store(std::move(*d)));
}

std::vector<roster_item> store::roster(std::string_view owner) {
  auto& c = db_.get();
  auto st = c.prepare("SELECT " + std::string(roster_cols) + " FROM roster WHERE owner = ?1 ORDER BY contact").value();
  st.bind_all(owner);
  std::vector<roster_item> out;
  while (st.step().value()) out.push_back(read_item(st));
  return out;
}

std::optional<roster_item> store::roster_get(std::string_view owner, std::string_view contact) {
  auto& c = db_.get();
  auto st = c.prepare("SELECT " + std::string(roster_cols) + " FROM roster WHERE owner = ?1 AND contact = ?2").value();
  st.bind_all(owner, contact);
  if (!st.step().value()) return std::nullopt;
  return read_item(st);
}

std::int64_t store::roster_put(std::string_view owner, const roster_item& r) {
  auto& c = db_.get();
  db::transaction tx(c, db::durability::full);
  c.prepare("INSERT OR REPLACE INTO roster(owner, " + std::string(roster_cols) +
            ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
      .value()
      .bind_all(owner, r.contact, r.name, r.sub_to, r.sub_from, r.ask_out, r.pending_in, r.approved, r.in_roster,
                join_groups(r.groups))
      .run()
      .value();
  auto v = bump_version(c, owner);
  tx.commit().value();
  return v;
}

std::int64_t store::roster_remove(std::string_view owner, std::string_view contact) {
  auto& c = db_.get();
  db::transaction tx(c, db::durability::full);
  c.prepare("DELETE FROM roster WHERE owner = ?1 AND contact = ?2").value().bind_all(owner, contact).run().value();
  auto v = bump_version(c, owner);
  tx.commit().value();
  return v;
}

std::int64_t store::roster_version(std::string_view owner) {
  auto st = db_.get().prepare("SELECT ver FROM roster_version WHERE owner = ?1").value();
  st.bind_all(owner);
  return st.step().value() ? st.column_int64(0) : 0;
}

bool store::offline_push(std::string_view owner, std::string_view stanza, std::size_t limit) {
  auto& c = db_.get();
  db::transaction tx(c, db::durability::full);
  auto cnt = c.prepare("SELECT count(*) FROM offline WHERE owner = ?1").value();
  cnt.bind_all(owner);
  cnt.step().value();
  if (static_cast<std::size_t>(cnt.column_int64(0)) >= limit) return false;
  c.prepare("INSERT INTO offline(owner, stanza) VALUES(?1, ?2)").value().bind_all(owner, stanza).run().value();
  tx.commit().value();
  return true;
}

std::size_t store::offline_count(std::string_view owner) {
  auto st = db_.get().prepare("SELECT count(*) FROM offline WHERE owner = ?1").value();
  st.bind_all(owner);
  st.step().value();
  return static_cast<std::size_t>(st.column_int64(0));
}

std::vector<std::string> store::offline_pop(std::string_view owner) {
  auto& c = db_.get();
  db::transaction tx(c, db::durability::full);
  auto st = c.prepare("SELECT stanza FROM offline WHERE owner = ?1 ORDER BY id").value();
  st.bind_all(owner);
  std::vector<std::string> out;
  while (st.step().value()) out.push_back(st.column_text(0));
  st.reset();
  if (!out.empty()) c.prepare("DELETE FROM offline WHERE owner = ?1").value().bind_all(owner).run().value();
  tx.commit().value();
  return out;
}

struct store::archive_row {
  std::string_view owner;
  const archived* a;
  bool done = false;
  std::exception_ptr error;
};

void store::archive_add(std::string_view owner, const archived& a) {
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
      auto& c = db_.get();
      db::transaction tx(c, db::durability::full);
      for (auto* r : rows)
        c.prepare("INSERT OR IGNORE INTO archive(owner, stanza_id, with_jid, stamp, stanza) VALUES(?1, ?2, ?3, ?4, ?5)")
            .value()
            .bind_all(r->owner, r->a->stanza_id, r->a->with, r->a->stamp_us, r->a->stanza)
            .run()
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

archive_page store::archive_find(std::string_view owner, const archive_query& q) {
  auto& c = db_.get();
  // The filtered set in archive order (stamp, id); RSM after/before are positions in it.
  std::string where = "owner = ?1";
  if (q.with) where += " AND with_jid = ?2";
  if (q.start_us) where += " AND stamp >= ?3";
  if (q.end_us) where += " AND stamp <= ?4";
  auto id_of = [&](const std::string& sid) -> std::optional<std::int64_t> {
    auto st = c.prepare("SELECT id FROM archive WHERE owner = ?1 AND stanza_id = ?2").value();
    st.bind_all(owner, sid);
    if (!st.step().value()) return std::nullopt;
    return st.column_int64(0);
  };
  auto bind = [&](db::statement& st) {
    st.bind(1, owner);
    if (q.with) st.bind(2, *q.with);
    if (q.start_us) st.bind(3, *q.start_us);
    if (q.end_us) st.bind(4, *q.end_us);
  };
  archive_page page;
  {
    auto st = c.prepare("SELECT count(*) FROM archive WHERE " + where).value();
    bind(st);
    st.step().value();
    page.count = static_cast<std::size_t>(st.column_int64(0));
  }
  std::string sql = "SELECT id, stanza_id, with_jid, stamp, stanza FROM archive WHERE " + where;
  bool backwards = false;
  if (q.after_id) {
    auto id = id_of(*q.after_id);
    sql += " AND id > " + std::to_string(id.value_or(0));
  } else if (q.before_id) {
    backwards = true;
    if (!q.before_id->empty()) {
      auto id = id_of(*q.before_id);
      sql += " AND id < " + std::to_string(id.value_or(0));
    }
  }
  // Archive ids grow with time (stamps are assigned at insertion), so id order is time order.
  sql += backwards ? " ORDER BY id DESC" : " ORDER BY id ASC";
  sql += " LIMIT " + std::to_string(q.max + 1);
  auto st = c.prepare(sql).value();
  bind(st);
  while (st.step().value()) {
    archived a;
    a.id = st.column_int64(0);
    a.stanza_id = st.column_text(1);
    a.with = st.column_text(2);
    a.stamp_us = st.column_int64(3);
    a.stanza = st.column_text(4);
    page.items.push_back(std::move(a));
  }
  page.complete = page.items.size() <= q.max;
  if (!page.complete) page.items.pop_back();
  if (backwards) std::reverse(page.items.begin(), page.items.end());
  return page;
}

void store::pep_publish(std::string_view owner, std::string_view node, const pep_item& item, std::size_t max_items) {
  auto& c = db_.get();
  db::transaction tx(c, db::durability::full);
  c.prepare("DELETE FROM pep WHERE owner = ?1 AND node = ?2 AND item_id = ?3")
      .value()
      .bind_all(owner, node, item.id)
      .run()
      .value();
  c.prepare("INSERT INTO pep(owner, node, item_id, payload) VALUES(?1, ?2, ?3, ?4)")
      .value()
      .bind_all(owner, node, item.id, item.payload)
      .run()
      .value();
  if (max_items > 0)
    c.prepare("DELETE FROM pep WHERE owner = ?1 AND node = ?2 AND seq NOT IN "
              "(SELECT seq FROM pep WHERE owner = ?1 AND node = ?2 ORDER BY seq DESC LIMIT ?3)")
        .value()
        .bind_all(owner, node, static_cast<std::int64_t>(max_items))
        .run()
        .value();
  tx.commit().value();
}

std::vector<pep_item> store::pep_items(std::string_view owner, std::string_view node, std::size_t max) {
  auto st = db_.get()
                .prepare("SELECT item_id, payload FROM pep WHERE owner = ?1 AND node = ?2 ORDER BY seq DESC LIMIT ?3")
                .value();
  st.bind_all(owner, node, static_cast<std::int64_t>(max));
  std::vector<pep_item> out;
  while (st.step().value()) out.push_back({st.column_text(0), st.column_text(1)});
  return out;
}

bool store::pep_retract(std::string_view owner, std::string_view node, std::string_view id) {
  auto& c = db_.get();
  c.prepare("DELETE FROM pep WHERE owner = ?1 AND node = ?2 AND item_id = ?3").value().bind_all(owner, node, id).run().value();
  return c.changes() > 0;
}

std::vector<std::string> store::pep_nodes(std::string_view owner) {
  auto st = db_.get().prepare("SELECT DISTINCT node FROM pep WHERE owner = ?1 ORDER BY node").value();
  st.bind_all(owner);
  std::vector<std::string> out;
  while (st.step().value()) out.push_back(st.column_text(0));
  return out;
}

void store::pep_delete_node(std::string_view owner, std::string_view node) {
  db_.get().prepare("DELETE FROM pep WHERE owner = ?1 AND node = ?2").value().bind_all(owner, node).run().value();
}

std::optional<std::string> store::doc_get(std::string_view owner, std::string_view kind) {
  auto st = db_.get().prepare("SELECT xml FROM docs WHERE owner = ?1 AND kind = ?2").value();
  st.bind_all(owner, kind);
  if (!st.step().value()) return std::nullopt;
  return st.column_text(0);
}

void store::doc_put(std::string_view owner, std::string_view kind, std::string_view xml) {
  auto& c = db_.get();
  db::transaction tx(c, db::durability::full);
  c.prepare("INSERT OR REPLACE INTO docs(owner, kind, xml) VALUES(?1, ?2, ?3)").value().bind_all(owner, kind, xml).run().value();
  tx.commit().value();
}

std::vector<std::string> store::blocked(std::string_view owner) {
  auto st = db_.get().prepare("SELECT jid FROM blocklist WHERE owner = ?1 ORDER BY jid").value();
  st.bind_all(owner);
  std::vector<std::string> out;
  while (st.step().value()) out.push_back(st.column_text(0));
  return out;
}

void store::block(std::string_view owner, const std::vector<std::string>& jids) {
  auto& c = db_.get();
  db::transaction tx(c, db::durability::full);
  for (const auto& j : jids)
    c.prepare("INSERT OR IGNORE INTO blocklist(owner, jid) VALUES(?1, ?2)").value().bind_all(owner, j).run().value();
  tx.commit().value();
}

void store::unblock(std::string_view owner, const std::vector<std::string>& jids) {
  auto& c = db_.get();
  db::transaction tx(c, db::durability::full);
  if (jids.empty()) c.prepare("DELETE FROM blocklist WHERE owner = ?1").value().bind_all(owner).run().value();
  for (const auto& j : jids)
    c.prepare("DELETE FROM blocklist WHERE owner = ?1 AND jid = ?2").value().bind_all(owner, j).run().value();
  tx.commit().value();
}

}  // namespace hearth::xmpp
