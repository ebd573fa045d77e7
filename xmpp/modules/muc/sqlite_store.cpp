// muc_store on SQLite (store.hpp). Its own migration component in the XMPP database file, so
// the router's store and its types stay as they are.
#include <algorithm>

#include "core/db/db.hpp"
#include "xmpp/modules/muc/store.hpp"

namespace hearth::xmpp::muc {

namespace {

constexpr db::migration migrations[] = {
    {1, "muc: rooms, affiliations, room archive", R"sql(
CREATE TABLE muc_room(
  jid TEXT PRIMARY KEY, domain TEXT NOT NULL, config TEXT NOT NULL,
  subject TEXT NOT NULL DEFAULT '', subject_from TEXT NOT NULL DEFAULT '',
  vcard TEXT NOT NULL DEFAULT ''
);
CREATE INDEX muc_room_domain ON muc_room(domain);
CREATE TABLE muc_affiliation(
  room TEXT NOT NULL, jid TEXT NOT NULL, affiliation TEXT NOT NULL,
  nick TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(room, jid)
);
CREATE TABLE muc_archive(
  id INTEGER PRIMARY KEY, room TEXT NOT NULL, stanza_id TEXT NOT NULL, nick TEXT NOT NULL,
  stamp INTEGER NOT NULL, stanza TEXT NOT NULL, UNIQUE(room, stanza_id)
);
CREATE INDEX muc_archive_room ON muc_archive(room, id);
)sql"},
};

std::string domain_of(std::string_view room_jid) {
  auto at = room_jid.find('@');
  return std::string(at == std::string_view::npos ? room_jid : room_jid.substr(at + 1));
}

archived read_archived(db::statement& st) {
  archived a;
  a.id = st.column_int64(0);
  a.stanza_id = st.column_text(1);
  a.with = st.column_text(2);
  a.stamp_us = st.column_int64(3);
  a.stanza = st.column_text(4);
  return a;
}

class sqlite_store final : public muc_store {
 public:
  explicit sqlite_store(db::database d) : db_(std::move(d)) {}

  std::vector<stored_room> rooms(std::string_view domain) override {
    auto& c = db_.get();
    auto st = c.prepare("SELECT jid, config, subject, subject_from FROM muc_room WHERE domain = ?1 ORDER BY jid").value();
    st.bind_all(domain);
    std::vector<stored_room> out;
    while (st.step().value()) {
      stored_room r;
      r.jid = st.column_text(0);
      r.config = st.column_text(1);
      r.subject = st.column_text(2);
      r.subject_from = st.column_text(3);
      out.push_back(std::move(r));
    }
    st.reset();
    for (auto& r : out) {
      auto a = c.prepare("SELECT jid, affiliation, nick, reason FROM muc_affiliation WHERE room = ?1 ORDER BY jid").value();
      a.bind_all(r.jid);
      while (a.step().value())
        r.affiliations.push_back({a.column_text(0), a.column_text(1), a.column_text(2), a.column_text(3)});
    }
    return out;
  }

  void save_room(const stored_room& r) override {
    auto& c = db_.get();
    db::transaction tx(c, db::durability::full);
    c.prepare("INSERT INTO muc_room(jid, domain, config, subject, subject_from) VALUES(?1, ?2, ?3, ?4, ?5) "
              "ON CONFLICT(jid) DO UPDATE SET config = ?3, subject = ?4, subject_from = ?5")
        .value()
        .bind_all(r.jid, domain_of(r.jid), r.config, r.subject, r.subject_from)
        .run()
        .value();
    c.prepare("DELETE FROM muc_affiliation WHERE room = ?1").value().bind_all(r.jid).run().value();
    for (const auto& a : r.affiliations)
      c.prepare("INSERT INTO muc_affiliation(room, jid, affiliation, nick, reason) VALUES(?1, ?2, ?3, ?4, ?5)")
          .value()
          .bind_all(r.jid, a.jid, a.affiliation, a.nick, a.reason)
          .run()
          .value();
    tx.commit().value();
  }

  void delete_room(std::string_view room) override {
    auto& c = db_.get();
    db::transaction tx(c, db::durability::full);
    c.prepare("DELETE FROM muc_room WHERE jid = ?1").value().bind_all(room).run().value();
    c.prepare("DELETE FROM muc_affiliation WHERE room = ?1").value().bind_all(room).run().value();
    c.prepare("DELETE FROM muc_archive WHERE room = ?1").value().bind_all(room).run().value();
    tx.commit().value();
  }

  void archive_add(std::string_view room, const archived& a) override {
    // One room's messages are written in order under its lock, so an fsync per message would
    // cap a busy room at the disk's sync rate; WAL with synchronous=NORMAL survives a killed
    // process (the page cache keeps the write), only a power cut could lose the last ones.
    db_.get()
        .prepare("INSERT OR IGNORE INTO muc_archive(room, stanza_id, nick, stamp, stanza) VALUES(?1, ?2, ?3, ?4, ?5)")
        .value()
        .bind_all(room, a.stanza_id, a.with, a.stamp_us, a.stanza)
        .run()
        .value();
  }

  archive_page archive_find(std::string_view room, const archive_query& q) override {
    auto& c = db_.get();
    std::string where = "room = ?1";
    if (q.with) where += " AND nick = ?2";
    if (q.start_us) where += " AND stamp >= ?3";
    if (q.end_us) where += " AND stamp <= ?4";
    auto bind = [&](db::statement& st) {
      st.bind(1, room);
      if (q.with) st.bind(2, *q.with);
      if (q.start_us) st.bind(3, *q.start_us);
      if (q.end_us) st.bind(4, *q.end_us);
    };
    auto id_of = [&](const std::string& sid) -> std::optional<std::int64_t> {
      auto st = c.prepare("SELECT id FROM muc_archive WHERE room = ?1 AND stanza_id = ?2").value();
      st.bind_all(room, sid);
      if (!st.step().value()) return std::nullopt;
      return st.column_int64(0);
    };
    archive_page page;
    {
      auto st = c.prepare("SELECT count(*) FROM muc_archive WHERE " + where).value();
      bind(st);
      st.step().value();
      page.count = static_cast<std::size_t>(st.column_int64(0));
    }
    std::string sql = "SELECT id, stanza_id, nick, stamp, stanza FROM muc_archive WHERE " + where;
    bool backwards = false;
    if (q.after_id) {
      sql += " AND id > " + std::to_string(id_of(*q.after_id).value_or(0));
    } else if (q.before_id) {
      backwards = true;
      if (!q.before_id->empty()) sql += " AND id < " + std::to_string(id_of(*q.before_id).value_or(0));
    }
    sql += backwards ? " ORDER BY id DESC" : " ORDER BY id ASC";
    sql += " LIMIT " + std::to_string(q.max + 1);
    auto st = c.prepare(sql).value();
    bind(st);
    while (st.step().value()) page.items.push_back(read_archived(st));
    page.complete = page.items.size() <= q.max;
    if (!page.complete) page.items.pop_back();
    if (backwards) std::reverse(page.items.begin(), page.items.end());
    return page;
  }

  std::vector<archived> archive_last(std::string_view room, std::size_t n) override {
    auto st = db_.get()
                  .prepare("SELECT id, stanza_id, nick, stamp, stanza FROM muc_archive WHERE room = ?1 "
                           "ORDER BY id DESC LIMIT ?2")
                  .value();
    st.bind_all(room, static_cast<std::int64_t>(n));
    std::vector<archived> out;
    while (st.step().value()) out.push_back(read_archived(st));
    std::reverse(out.begin(), out.end());
    return out;
  }

  std::string vcard(std::string_view room) override {
    auto st = db_.get().prepare("SELECT vcard FROM muc_room WHERE jid = ?1").value();
    st.bind_all(room);
    return st.step().value() ? st.column_text(0) : std::string();
  }

  void set_vcard(std::string_view room, std::string_view xml) override {
    auto& c = db_.get();
    db::transaction tx(c, db::durability::full);
    c.prepare("UPDATE muc_room SET vcard = ?2 WHERE jid = ?1").value().bind_all(room, xml).run().value();
    tx.commit().value();
  }

 private:
  db::database db_;
};

}  // namespace

result<std::unique_ptr<muc_store>> open_sqlite_store(const std::filesystem::path& file) {
  auto d = db::database::open(file);
  if (!d) return d.error();
  auto v = db::migrate(d->get(), "muc", migrations);
  if (!v) return v.error();
  return std::unique_ptr<muc_store>(new sqlite_store(std::move(*d)));
}

}  // namespace hearth::xmpp::muc
