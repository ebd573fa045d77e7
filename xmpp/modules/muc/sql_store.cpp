// muc_store on core/sql (store.hpp): one implementation for SQLite and PostgreSQL. Its own
// migration component ("muc"), with the tables of the former SQLite-only store, so existing
// xmpp.db files open unchanged. The interface throws on database failures, so results are
// unwrapped with value(), which throws hearth::error_exception.
#include <algorithm>

#include "core/sql/sql.hpp"
#include "xmpp/modules/muc/store.hpp"
#include "xmpp/store/sql_archive.hpp"

namespace hearth::xmpp::muc {

namespace {

// Never edit a released migration: add the next one. SQLite DDL; PostgreSQL gets it through
// sql::postgres_ddl.
constexpr sql::migration migrations[] = {
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
    {2, "muc: occupants seated by a room's home node (several nodes)", R"sql(
CREATE TABLE muc_occupant(
  room TEXT NOT NULL, nick TEXT NOT NULL, jid TEXT NOT NULL, role TEXT NOT NULL, presence TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(room, nick)
);
CREATE INDEX muc_occupant_jid ON muc_occupant(jid);
)sql"},
    {3, "muc: the origin of an archived message another node sent and held (several nodes)", R"sql(
ALTER TABLE muc_archive ADD COLUMN origin TEXT NOT NULL DEFAULT '';
)sql"},
};

std::string domain_of(std::string_view room_jid) {
  auto at = room_jid.find('@');
  return std::string(at == std::string_view::npos ? room_jid : room_jid.substr(at + 1));
}

constexpr const char* archive_columns = "id, stanza_id, nick, stamp, stanza";

class sql_store final : public muc_store {
 public:
  explicit sql_store(std::unique_ptr<sql::database> d) : db_(std::move(d)) {}

  std::vector<stored_room> rooms(std::string_view domain) override {
    auto& c = db_->get();
    auto r = c.query("SELECT jid, config, subject, subject_from FROM muc_room WHERE domain = ?1 ORDER BY jid", domain)
                 .value();
    std::vector<stored_room> out;
    for (int i = 0; i < r.size(); ++i) out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), {}});
    for (auto& room : out) read_affiliations(c, room);
    return out;
  }

  std::optional<stored_room> room(std::string_view room_jid) override {
    auto& c = db_->get();
    auto r = c.query("SELECT jid, config, subject, subject_from FROM muc_room WHERE jid = ?1", room_jid).value();
    if (r.empty()) return std::nullopt;
    stored_room out{r.text(0, 0), r.text(0, 1), r.text(0, 2), r.text(0, 3), {}};
    read_affiliations(c, out);
    return out;
  }

  void save_room(const stored_room& r) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    c.query("INSERT INTO muc_room(jid, domain, config, subject, subject_from) VALUES(?1, ?2, ?3, ?4, ?5) "
            "ON CONFLICT(jid) DO UPDATE SET config = excluded.config, subject = excluded.subject, "
            "subject_from = excluded.subject_from",
            r.jid, domain_of(r.jid), r.config, r.subject, r.subject_from)
        .value();
    c.query("DELETE FROM muc_affiliation WHERE room = ?1", r.jid).value();
    for (const auto& a : r.affiliations)
      c.query("INSERT INTO muc_affiliation(room, jid, affiliation, nick, reason) VALUES(?1, ?2, ?3, ?4, ?5)", r.jid,
              a.jid, a.affiliation, a.nick, a.reason)
          .value();
    tx.commit().value();
  }

  void delete_room(std::string_view room) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    c.query("DELETE FROM muc_room WHERE jid = ?1", room).value();
    c.query("DELETE FROM muc_affiliation WHERE room = ?1", room).value();
    c.query("DELETE FROM muc_archive WHERE room = ?1", room).value();
    c.query("DELETE FROM muc_occupant WHERE room = ?1", room).value();
    tx.commit().value();
  }

  void archive_add(std::string_view room, const archived& a, std::string_view origin) override {
    // One room's messages are written in order under its lock, so an fsync per message would
    // cap a busy room at the disk's sync rate; an autocommit at normal durability survives a
    // killed process, only a power cut could lose the last ones.
    db_->get()
        .query("INSERT INTO muc_archive(room, stanza_id, nick, stamp, stanza, origin) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
               "ON CONFLICT(room, stanza_id) DO NOTHING",
               room, a.stanza_id, a.with, a.stamp_us, a.stanza, origin)
        .value();
  }

  bool archived_origin(std::string_view room, std::string_view origin, std::size_t recent) override {
    if (origin.empty()) return false;
    // The room's newest rows through muc_archive_room (room, id); no index on origin, so that
    // archiving a message costs what it did.
    return !db_->get()
                .query("SELECT 1 FROM (SELECT origin FROM muc_archive WHERE room = ?1 ORDER BY id DESC LIMIT ?3) "
                       "recent WHERE origin = ?2",
                       room, origin, static_cast<std::int64_t>(recent))
                .value()
                .empty();
  }

  archive_page archive_find(std::string_view room, const archive_query& q) override {
    return find_archive_page(db_->get(), {"muc_archive", "room", "nick"}, room, q);
  }

  std::vector<archived> archive_last(std::string_view room, std::size_t n) override {
    auto out = read_archived(db_->get()
                                 .query(std::string("SELECT ") + archive_columns +
                                            " FROM muc_archive WHERE room = ?1 ORDER BY id DESC LIMIT ?2",
                                        room, n)
                                 .value());
    std::reverse(out.begin(), out.end());
    return out;
  }

  std::string vcard(std::string_view room) override {
    return db_->get().query("SELECT vcard FROM muc_room WHERE jid = ?1", room).value().text(0, 0);
  }

  void set_vcard(std::string_view room, std::string_view xml) override {
    auto& c = db_->get();
    auto tx = sql::transaction::begin(c, sql::durability::full).value();
    c.query("UPDATE muc_room SET vcard = ?2 WHERE jid = ?1", room, xml).value();
    tx.commit().value();
  }

  void occupant_put(std::string_view room, const stored_occupant& o) override {
    db_->get()
        .query("INSERT INTO muc_occupant(room, nick, jid, role, presence) VALUES(?1, ?2, ?3, ?4, ?5) "
               "ON CONFLICT(room, nick) DO UPDATE SET jid = excluded.jid, role = excluded.role, "
               "presence = excluded.presence",
               room, o.nick, o.jid, o.role, o.presence)
        .value();
  }

  void occupant_drop(std::string_view room, std::string_view nick) override {
    db_->get().query("DELETE FROM muc_occupant WHERE room = ?1 AND nick = ?2", room, nick).value();
  }

  std::vector<stored_occupant> occupants(std::string_view room) override {
    auto r = db_->get()
                 .query("SELECT nick, jid, role, presence FROM muc_occupant WHERE room = ?1 ORDER BY nick", room)
                 .value();
    std::vector<stored_occupant> out;
    for (int i = 0; i < r.size(); ++i) out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3)});
    return out;
  }

  std::vector<seat> seats_of(std::string_view full) override {
    auto r = db_->get().query("SELECT room, nick FROM muc_occupant WHERE jid = ?1 ORDER BY room", full).value();
    std::vector<seat> out;
    for (int i = 0; i < r.size(); ++i) out.push_back({r.text(i, 0), r.text(i, 1)});
    return out;
  }

 private:
  static void read_affiliations(sql::connection& c, stored_room& room) {
    auto a = c.query("SELECT jid, affiliation, nick, reason FROM muc_affiliation WHERE room = ?1 ORDER BY jid", room.jid)
                 .value();
    for (int i = 0; i < a.size(); ++i) room.affiliations.push_back({a.text(i, 0), a.text(i, 1), a.text(i, 2), a.text(i, 3)});
  }

  std::unique_ptr<sql::database> db_;
};

}  // namespace

result<std::unique_ptr<muc_store>> open_store(const std::string& target) {
  auto d = sql::open_migrated(target, "muc", migrations);
  if (!d) return d.error();
  return std::unique_ptr<muc_store>(new sql_store(std::move(*d)));
}

}  // namespace hearth::xmpp::muc
