// share_store on SQLite, in the server's database file next to the DAV collections.
#include "core/crypto/crypto.hpp"
#include "core/db/db.hpp"
#include "dav/store/shares.hpp"

namespace hearth::dav {
namespace {

// Never edit a released migration: add the next one. The foreign key makes a share go with
// its collection (DELETE, or MOVE, which gives the collection a new id).
constexpr db::migration migrations[] = {
    {1, "dav shares", R"sql(
CREATE TABLE dav_shares (
  collection_id INTEGER NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
  sharee TEXT NOT NULL,
  access INTEGER NOT NULL,
  mount TEXT NOT NULL,
  PRIMARY KEY (collection_id, sharee)
);
CREATE INDEX dav_shares_sharee ON dav_shares (sharee, mount);
)sql"},
    {2, "dav share invitations", R"sql(
ALTER TABLE dav_shares ADD COLUMN state INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dav_shares ADD COLUMN invite_uid TEXT NOT NULL DEFAULT '';
)sql"},
};

constexpr const char* share_cols =
    "SELECT s.collection_id, c.owner, c.kind, c.name, s.sharee, s.access, s.mount, s.state, s.invite_uid FROM dav_shares s "
    "JOIN dav_collections c ON c.id = s.collection_id ";

share read_share(db::statement& st) {
  share s;
  s.coll_id = st.column_int64(0);
  s.owner = st.column_text(1);
  s.kind = st.column_int64(2) == 1 ? kind::addressbook : kind::calendar;
  s.coll_name = st.column_text(3);
  s.sharee = st.column_text(4);
  s.access = st.column_int64(5) == 2 ? share_access::write : share_access::read;
  s.mount = st.column_text(6);
  const auto state = st.column_int64(7);
  s.state = state == 1 ? share_state::invited : state == 2 ? share_state::declined : share_state::accepted;
  s.uid = st.column_text(8);
  return s;
}

class sqlite_share_store final : public share_store {
 public:
  explicit sqlite_share_store(db::database d) : db_(std::move(d)) {}

  result<std::optional<share>> set(const collection& col, const std::string& sharee, share_access access,
                                   const std::function<bool(const std::string&)>& taken) override {
    return write(col, sharee, access, taken, false);
  }

  result<share> invite(const collection& col, const std::string& sharee, share_access access,
                       const std::function<bool(const std::string&)>& taken) override {
    if (access == share_access::none) return fail("dav.body", "an invitation needs read or write access");
    auto r = write(col, sharee, access, taken, true);
    if (!r) return r.error();
    if (!*r) return fail("dav.not_found", "no such collection");
    return std::move(**r);
  }

  result<std::optional<share>> answer(const std::string& sharee, const std::string& uid, bool accept) override {
    auto c = db_.try_get();
    if (!c) return c.error();
    auto t = db::transaction::begin(**c, db::durability::full);
    if (!t) return t.error();
    auto cur = query(**c, std::string(share_cols) + "WHERE s.sharee=?1 AND s.invite_uid=?2 AND s.state=1",
                     [&](db::statement& st) { st.bind_all(sharee, uid); });
    if (!cur) return cur.error();
    if (cur->empty() || uid.empty()) return std::optional<share>();
    auto up = c.value()->prepare("UPDATE dav_shares SET state=?3 WHERE collection_id=?1 AND sharee=?2");
    if (!up) return up.error();
    const int state = accept ? 0 : 2;
    up->bind_all(cur->front().coll_id, sharee, state);
    if (auto r = up->run(); !r) return r.error();
    if (auto r = t->commit(); !r) return r.error();
    share s = cur->front();
    s.state = accept ? share_state::accepted : share_state::declined;
    return std::optional<share>(std::move(s));
  }

  result<std::vector<share>> invitations(const std::string& sharee) override {
    return run_query(std::string(share_cols) + "WHERE s.sharee=?1 AND s.state=1 ORDER BY s.invite_uid",
                     [&](db::statement& st) { st.bind(1, sharee); });
  }

  // set() (invite false: accepted at once) and invite() (a new share waits for the answer).
  result<std::optional<share>> write(const collection& col, const std::string& sharee, share_access access,
                                     const std::function<bool(const std::string&)>& taken, bool invite) {
    auto c = db_.try_get();
    if (!c) return c.error();
    auto t = db::transaction::begin(**c, db::durability::full);
    if (!t) return t.error();
    auto cur = query(**c, std::string(share_cols) + "WHERE s.collection_id=?1 AND s.sharee=?2",
                     [&](db::statement& st) { st.bind_all(col.id, sharee); });
    if (!cur) return cur.error();
    std::optional<share> old;
    if (!cur->empty()) old = cur->front();
    if (access == share_access::none) {
      if (!old) return std::optional<share>();
      auto del = c.value()->prepare("DELETE FROM dav_shares WHERE collection_id=?1 AND sharee=?2");
      if (!del) return del.error();
      del->bind_all(col.id, sharee);
      if (auto r = del->run(); !r) return r.error();
      if (auto r = t->commit(); !r) return r.error();
      return old;
    }
    share s;
    s.coll_id = col.id;
    s.owner = col.owner;
    s.kind = col.kind;
    s.coll_name = col.name;
    s.sharee = sharee;
    s.access = access;
    if (invite && old && old->state == share_state::accepted) {
      s.uid = old->uid;  // an accepted share stays accepted: only its access changes
    } else if (invite) {
      // A new invitation, or a declined one made again with a new id (a stale answer cannot
      // accept it); one still waiting keeps its id.
      s.state = share_state::invited;
      s.uid = old && old->state == share_state::invited && !old->uid.empty() ? old->uid
                                                                           : crypto::hex_encode(crypto::random_bytes(16));
    }
    if (old) {
      s.mount = old->mount;
    } else {
      // A name the sharee has neither for an own collection nor for another share.
      const std::string base = col.owner + "~" + col.name;
      for (int i = 1; i <= 100 && s.mount.empty(); ++i) {
        std::string cand = i == 1 ? base : base + "-" + std::to_string(i);
        if (taken(cand)) continue;
        auto used = query(**c, std::string(share_cols) + "WHERE s.sharee=?1 AND c.kind=?2 AND s.mount=?3",
                          [&](db::statement& st) { st.bind_all(sharee, static_cast<int>(col.kind), cand); });
        if (!used) return used.error();
        if (used->empty()) s.mount = cand;
      }
      if (s.mount.empty()) return fail("dav.exists", "no free name in the sharee's home");
    }
    auto st = c.value()->prepare(
        "INSERT INTO dav_shares (collection_id, sharee, access, mount, state, invite_uid) VALUES (?1,?2,?3,?4,?5,?6) "
        "ON CONFLICT (collection_id, sharee) DO UPDATE SET access=excluded.access, state=excluded.state, "
        "invite_uid=excluded.invite_uid");
    if (!st) return st.error();
    st->bind_all(col.id, sharee, static_cast<int>(access), s.mount, static_cast<int>(s.state), s.uid);
    if (auto r = st->run(); !r) {
      if (r.error().code == "db.constraint") return fail("dav.not_found", "no such collection");
      return r.error();
    }
    if (auto r = t->commit(); !r) return r.error();
    return std::optional<share>(std::move(s));
  }

  result<std::vector<share>> of_collection(std::int64_t coll_id) override {
    return run_query(std::string(share_cols) + "WHERE s.collection_id=?1 ORDER BY s.sharee",
                     [&](db::statement& st) { st.bind(1, coll_id); });
  }

  result<std::vector<share>> for_sharee(const std::string& sharee, kind k) override {
    return run_query(std::string(share_cols) + "WHERE s.sharee=?1 AND c.kind=?2 AND s.state=0 ORDER BY s.mount",
                     [&](db::statement& st) { st.bind_all(sharee, static_cast<int>(k)); });
  }

  result<std::optional<share>> find_mount(const std::string& sharee, kind k, const std::string& mount) override {
    auto r = run_query(std::string(share_cols) + "WHERE s.sharee=?1 AND s.mount=?3 AND c.kind=?2 AND s.state=0",
                       [&](db::statement& st) { st.bind_all(sharee, static_cast<int>(k), mount); });
    if (!r) return r.error();
    if (r->empty()) return std::optional<share>();
    return std::optional<share>(std::move(r->front()));
  }

  result<std::vector<share>> of_owner(const std::string& owner) override {
    return run_query(std::string(share_cols) + "WHERE c.owner=?1 ORDER BY c.kind, c.name, s.sharee",
                     [&](db::statement& st) { st.bind(1, owner); });
  }

 private:
  template <class Bind>
  result<std::vector<share>> query(db::connection& c, const std::string& sql, Bind bind) {
    auto st = c.prepare(sql);
    if (!st) return st.error();
    bind(*st);
    std::vector<share> out;
    for (;;) {
      auto row = st->step();
      if (!row) return row.error();
      if (!*row) break;
      out.push_back(read_share(*st));
    }
    return out;
  }
  template <class Bind>
  result<std::vector<share>> run_query(const std::string& sql, Bind bind) {
    auto c = db_.try_get();
    if (!c) return c.error();
    return query(**c, sql, bind);
  }

  db::database db_;
};

}  // namespace

result<std::unique_ptr<share_store>> share_store::open(const std::filesystem::path& db_file) {
  auto d = db::database::open(db_file);
  if (!d) return d.error();
  auto c = d->try_get();
  if (!c) return c.error();
  auto v = db::migrate(**c, "dav_shares", migrations);
  if (!v) return v.error();
  return std::unique_ptr<share_store>(std::make_unique<sqlite_share_store>(std::move(*d)));
}

}  // namespace hearth::dav
