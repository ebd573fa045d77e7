// share_store on core/sql (SQLite or PostgreSQL), in the same database as the DAV collections
// (the shares refer to them). Tables and "dav_shares" migrations unchanged from the SQLite-only
// store, so existing data directories open as they are.
#include "core/crypto/crypto.hpp"
#include "core/sql/sql.hpp"
#include "dav/store/shares.hpp"

namespace hearth::dav {
namespace {

// Never edit a released migration: add the next one. The foreign key makes a share go with
// its collection (DELETE, or MOVE, which gives the collection a new id).
constexpr sql::migration migrations[] = {
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

share read_share(const sql::rows& r, int i) {
  share s;
  s.coll_id = r.int64(i, 0);
  s.owner = r.text(i, 1);
  s.kind = r.int64(i, 2) == 1 ? kind::addressbook : kind::calendar;
  s.coll_name = r.text(i, 3);
  s.sharee = r.text(i, 4);
  s.access = r.int64(i, 5) == 2 ? share_access::write : share_access::read;
  s.mount = r.text(i, 6);
  const auto state = r.int64(i, 7);
  s.state = state == 1 ? share_state::invited : state == 2 ? share_state::declined : share_state::accepted;
  s.uid = r.text(i, 8);
  return s;
}

template <class... Args>
result<std::vector<share>> query(sql::connection& c, const std::string& where, const Args&... args) {
  auto r = c.query(share_cols + where, args...);
  if (!r) return r.error();
  std::vector<share> out;
  out.reserve(r->size());
  for (int i = 0; i < r->size(); ++i) out.push_back(read_share(*r, i));
  return out;
}

class sql_share_store final : public share_store {
 public:
  explicit sql_share_store(std::unique_ptr<sql::database> d) : db_(std::move(d)) {}

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
    if (uid.empty()) return std::optional<share>();  // a direct share has no id to answer
    auto c = db_->try_get();
    if (!c) return c.error();
    auto t = sql::transaction::begin(**c, sql::durability::full);
    if (!t) return t.error();
    auto cur = query(**c, "WHERE s.sharee=?1 AND s.invite_uid=?2 AND s.state=1", sharee, uid);
    if (!cur) return cur.error();
    if (cur->empty()) return std::optional<share>();
    const int state = accept ? 0 : 2;
    if (auto r = (*c)->query("UPDATE dav_shares SET state=?3 WHERE collection_id=?1 AND sharee=?2", cur->front().coll_id,
                             sharee, state);
        !r)
      return r.error();
    if (auto r = t->commit(); !r) return r.error();
    share s = cur->front();
    s.state = accept ? share_state::accepted : share_state::declined;
    return std::optional<share>(std::move(s));
  }

  result<std::vector<share>> invitations(const std::string& sharee) override {
    return run_query("WHERE s.sharee=?1 AND s.state=1 ORDER BY s.invite_uid", sharee);
  }

  result<std::vector<share>> of_collection(std::int64_t coll_id) override {
    return run_query("WHERE s.collection_id=?1 ORDER BY s.sharee", coll_id);
  }

  result<std::vector<share>> for_sharee(const std::string& sharee, kind k) override {
    return run_query("WHERE s.sharee=?1 AND c.kind=?2 AND s.state=0 ORDER BY s.mount", sharee, static_cast<int>(k));
  }

  result<std::optional<share>> find_mount(const std::string& sharee, kind k, const std::string& mount) override {
    auto r = run_query("WHERE s.sharee=?1 AND s.mount=?3 AND c.kind=?2 AND s.state=0", sharee, static_cast<int>(k), mount);
    if (!r) return r.error();
    if (r->empty()) return std::optional<share>();
    return std::optional<share>(std::move(r->front()));
  }

  result<std::vector<share>> of_owner(const std::string& owner) override {
    return run_query("WHERE c.owner=?1 ORDER BY c.kind, c.name, s.sharee", owner);
  }

 private:
  // set() (invite false: accepted at once) and invite() (a new share waits for the answer).
  result<std::optional<share>> write(const collection& col, const std::string& sharee, share_access access,
                                     const std::function<bool(const std::string&)>& taken, bool invite) {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto& k = **c;
    auto t = sql::transaction::begin(k, sql::durability::full);
    if (!t) return t.error();
    auto cur = query(k, "WHERE s.collection_id=?1 AND s.sharee=?2", col.id, sharee);
    if (!cur) return cur.error();
    std::optional<share> old;
    if (!cur->empty()) old = cur->front();
    if (access == share_access::none) {
      if (!old) return std::optional<share>();
      if (auto r = k.query("DELETE FROM dav_shares WHERE collection_id=?1 AND sharee=?2", col.id, sharee); !r)
        return r.error();
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
        auto used = query(k, "WHERE s.sharee=?1 AND c.kind=?2 AND s.mount=?3", sharee, static_cast<int>(col.kind), cand);
        if (!used) return used.error();
        if (used->empty()) s.mount = cand;
      }
      if (s.mount.empty()) return fail("dav.exists", "no free name in the sharee's home");
    }
    auto r = k.query(
        "INSERT INTO dav_shares (collection_id, sharee, access, mount, state, invite_uid) VALUES (?1,?2,?3,?4,?5,?6) "
        "ON CONFLICT (collection_id, sharee) DO UPDATE SET access=excluded.access, state=excluded.state, "
        "invite_uid=excluded.invite_uid",
        col.id, sharee, static_cast<int>(access), s.mount, static_cast<int>(s.state), s.uid);
    if (!r && r.error().code == "db.constraint") return fail("dav.not_found", "no such collection");
    if (!r) return r.error();
    if (auto cm = t->commit(); !cm) return cm.error();
    return std::optional<share>(std::move(s));
  }

  template <class... Args>
  result<std::vector<share>> run_query(const std::string& where, const Args&... args) {
    auto c = db_->try_get();
    if (!c) return c.error();
    return query(**c, where, args...);
  }

  std::unique_ptr<sql::database> db_;
};

}  // namespace

result<std::unique_ptr<share_store>> share_store::open(const std::string& target) {
  auto d = sql::open_migrated(target, "dav_shares", migrations);
  if (!d) return d.error();
  return std::unique_ptr<share_store>(std::make_unique<sql_share_store>(std::move(*d)));
}

}  // namespace hearth::dav
