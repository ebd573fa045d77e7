#include "dav/store/store.hpp"

#include <chrono>

#include "core/crypto/crypto.hpp"
#include "core/db/db.hpp"

namespace hearth::dav {
namespace {

// Never edit a released migration: add the next one.
constexpr db::migration migrations[] = {
    {1, "dav collections, objects, properties, change log", R"sql(
CREATE TABLE dav_accounts (owner TEXT PRIMARY KEY);
CREATE TABLE dav_collections (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  owner TEXT NOT NULL,
  kind INTEGER NOT NULL,
  name TEXT NOT NULL,
  displayname TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  color TEXT NOT NULL DEFAULT '',
  sort_order TEXT NOT NULL DEFAULT '',
  timezone TEXT NOT NULL DEFAULT '',
  components TEXT NOT NULL DEFAULT 'VEVENT,VTODO',
  seq INTEGER NOT NULL DEFAULT 0,
  UNIQUE (owner, kind, name)
);
CREATE TABLE dav_props (
  collection_id INTEGER NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
  pname TEXT NOT NULL,
  xml TEXT NOT NULL,
  PRIMARY KEY (collection_id, pname)
);
CREATE TABLE dav_objects (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  collection_id INTEGER NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  uid TEXT NOT NULL,
  etag TEXT NOT NULL,
  component TEXT NOT NULL,
  first_start INTEGER NOT NULL,
  last_end INTEGER NOT NULL,
  modified INTEGER NOT NULL,
  data TEXT NOT NULL,
  UNIQUE (collection_id, name)
);
CREATE INDEX dav_objects_uid ON dav_objects (collection_id, uid);
CREATE INDEX dav_objects_span ON dav_objects (collection_id, component, first_start);
CREATE TABLE dav_changes (
  collection_id INTEGER NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  seq INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  PRIMARY KEY (collection_id, name)
);
CREATE INDEX dav_changes_seq ON dav_changes (collection_id, seq);
)sql"},
};

std::int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

constexpr const char* coll_cols =
    "SELECT id, owner, kind, name, displayname, description, color, sort_order, timezone, components, seq FROM "
    "dav_collections ";
constexpr const char* obj_cols_meta =
    "SELECT id, name, uid, etag, component, first_start, last_end, modified, '', length(CAST(data AS BLOB)) FROM dav_objects ";
constexpr const char* obj_cols_data =
    "SELECT id, name, uid, etag, component, first_start, last_end, modified, data, length(CAST(data AS BLOB)) FROM dav_objects ";

collection read_collection(db::statement& st) {
  collection c;
  c.id = st.column_int64(0);
  c.owner = st.column_text(1);
  c.kind = st.column_int64(2) == 1 ? kind::addressbook : kind::calendar;
  c.name = st.column_text(3);
  c.displayname = st.column_text(4);
  c.description = st.column_text(5);
  c.color = st.column_text(6);
  c.order = st.column_text(7);
  c.timezone = st.column_text(8);
  c.components = st.column_text(9);
  c.seq = st.column_int64(10);
  return c;
}

object read_object(db::statement& st) {
  object o;
  o.id = st.column_int64(0);
  o.name = st.column_text(1);
  o.uid = st.column_text(2);
  o.etag = st.column_text(3);
  o.component = st.column_text(4);
  o.first_start = st.column_int64(5);
  o.last_end = st.column_int64(6);
  o.modified = st.column_int64(7);
  o.data = st.column_text(8);
  o.size = st.column_int64(9);
  return o;
}

#define TRY(expr)                       \
  do {                                  \
    auto r_ = (expr);                   \
    if (!r_) return r_.error();         \
  } while (0)

class sqlite_store final : public store {
 public:
  explicit sqlite_store(db::database d) : db_(std::move(d)) {}

  result<void> ensure_defaults(const std::string& owner) override {
    auto c = conn();
    if (!c) return c.error();
    {
      auto st = c.value()->prepare("SELECT 1 FROM dav_accounts WHERE owner = ?1");
      if (!st) return st.error();
      st->bind(1, owner);
      auto row = st->step();
      if (!row) return row.error();
      if (*row) return {};
    }
    auto t = db::transaction::begin(**c, db::durability::full);
    if (!t) return t.error();
    auto ins = c.value()->prepare("INSERT OR IGNORE INTO dav_accounts (owner) VALUES (?1)");
    if (!ins) return ins.error();
    ins->bind(1, owner);
    TRY(ins->run());
    if (c.value()->changes() == 0) return {};  // another thread did it
    collection cal;
    cal.owner = owner;
    cal.kind = kind::calendar;
    cal.name = "personal";
    cal.displayname = "Personal";
    cal.components = "VEVENT,VTODO";
    TRY(insert_collection(**c, cal));
    collection ab;
    ab.owner = owner;
    ab.kind = kind::addressbook;
    ab.name = "contacts";
    ab.displayname = "Contacts";
    ab.components = "";
    TRY(insert_collection(**c, ab));
    return t->commit();
  }

  result<std::vector<collection>> collections(const std::string& owner, kind k) override {
    auto c = conn();
    if (!c) return c.error();
    auto st = c.value()->prepare(std::string(coll_cols) + "WHERE owner = ?1 AND kind = ?2 ORDER BY name");
    if (!st) return st.error();
    st->bind_all(owner, static_cast<int>(k));
    std::vector<collection> out;
    for (;;) {
      auto row = st->step();
      if (!row) return row.error();
      if (!*row) break;
      out.push_back(read_collection(*st));
    }
    for (auto& col : out) TRY(load_dead(**c, col));
    return out;
  }

  result<std::optional<collection>> find_collection(const std::string& owner, kind k, const std::string& name) override {
    auto c = conn();
    if (!c) return c.error();
    auto st = c.value()->prepare(std::string(coll_cols) + "WHERE owner = ?1 AND kind = ?2 AND name = ?3");
    if (!st) return st.error();
    st->bind_all(owner, static_cast<int>(k), name);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return std::optional<collection>();
    auto col = read_collection(*st);
    st->reset();
    TRY(load_dead(**c, col));
    return std::optional<collection>(std::move(col));
  }

  result<collection> create_collection(collection col) override {
    auto c = conn();
    if (!c) return c.error();
    auto t = db::transaction::begin(**c, db::durability::full);
    if (!t) return t.error();
    auto r = insert_collection(**c, col);
    if (!r) {
      if (r.error().code == "db.constraint") return fail("dav.exists", "a collection with this name exists");
      return r.error();
    }
    col.id = *r;
    TRY(save_dead(**c, col));
    TRY(t->commit());
    return col;
  }

  result<void> update_collection(const collection& col) override {
    auto c = conn();
    if (!c) return c.error();
    auto t = db::transaction::begin(**c, db::durability::full);
    if (!t) return t.error();
    auto st = c.value()->prepare(
        "UPDATE dav_collections SET displayname=?2, description=?3, color=?4, sort_order=?5, timezone=?6, "
        "components=?7 WHERE id=?1");
    if (!st) return st.error();
    st->bind_all(col.id, col.displayname, col.description, col.color, col.order, col.timezone, col.components);
    TRY(st->run());
    TRY(save_dead(**c, col));
    return t->commit();
  }

  result<void> delete_collection(std::int64_t id) override {
    auto c = conn();
    if (!c) return c.error();
    auto t = db::transaction::begin(**c, db::durability::full);
    if (!t) return t.error();
    TRY(delete_rows(**c, id));
    return t->commit();
  }

  result<collection> copy_collection(std::int64_t src, const std::string& name, bool members, bool move,
                                     std::optional<std::int64_t> replace) override {
    auto c = conn();
    if (!c) return c.error();
    auto t = db::transaction::begin(**c, db::durability::full);
    if (!t) return t.error();
    auto st = c.value()->prepare(std::string(coll_cols) + "WHERE id = ?1");
    if (!st) return st.error();
    st->bind(1, src);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return fail("dav.not_found", "no such collection");
    collection col = read_collection(*st);
    st->reset();
    TRY(load_dead(**c, col));
    if (replace) TRY(delete_rows(**c, *replace));
    col.name = name;
    col.seq = 0;
    auto id = insert_collection(**c, col);
    if (!id) {
      if (id.error().code == "db.constraint") return fail("dav.exists", "a collection with this name exists");
      return id.error();
    }
    col.id = *id;
    TRY(save_dead(**c, col));
    if (members) {
      // Objects keep their ETags (same bytes); each becomes change number 1..n of the copy.
      for (const char* sql :
           {"INSERT INTO dav_objects (collection_id, name, uid, etag, component, first_start, last_end, modified, data) "
            "SELECT ?1, name, uid, etag, component, first_start, last_end, modified, data FROM dav_objects "
            "WHERE collection_id=?2",
            "INSERT INTO dav_changes (collection_id, name, seq, deleted) SELECT ?1, name, "
            "ROW_NUMBER() OVER (ORDER BY name), 0 FROM dav_objects WHERE collection_id=?1 AND ?2 = ?2",
            "UPDATE dav_collections SET seq = (SELECT count(*) FROM dav_objects WHERE collection_id=?1) "
            "WHERE id=?1 AND ?2 = ?2"}) {
        auto q = c.value()->prepare(sql);
        if (!q) return q.error();
        q->bind_all(col.id, src);
        TRY(q->run());
      }
      auto n = c.value()->prepare("SELECT seq FROM dav_collections WHERE id=?1");
      if (!n) return n.error();
      n->bind(1, col.id);
      auto r = n->step();
      if (!r) return r.error();
      if (*r) col.seq = n->column_int64(0);
    }
    if (move) TRY(delete_rows(**c, src));
    TRY(t->commit());
    return col;
  }

  result<std::vector<object>> objects(std::int64_t coll, bool with_data) override {
    return query_objects(std::string(with_data ? obj_cols_data : obj_cols_meta) + "WHERE collection_id=?1 ORDER BY name",
                         [&](db::statement& st) { st.bind(1, coll); });
  }

  result<std::optional<object>> find_object(std::int64_t coll, const std::string& name, bool with_data) override {
    auto r = query_objects(std::string(with_data ? obj_cols_data : obj_cols_meta) + "WHERE collection_id=?1 AND name=?2",
                           [&](db::statement& st) { st.bind_all(coll, name); });
    if (!r) return r.error();
    if (r->empty()) return std::optional<object>();
    return std::optional<object>(std::move(r->front()));
  }

  result<std::vector<object>> objects_in_range(std::int64_t coll, const std::string& component, std::int64_t start,
                                               std::int64_t end) override {
    return query_objects(std::string(obj_cols_data) +
                             "WHERE collection_id=?1 AND component=?2 AND first_start < ?4 AND last_end >= ?3 ORDER BY name",
                         [&](db::statement& st) { st.bind_all(coll, component, start, end); });
  }

  result<put_result> put_object(std::int64_t coll, const new_object& o, const std::optional<std::string>& if_match,
                                bool if_none_match_star) override {
    auto c = conn();
    if (!c) return c.error();
    auto t = db::transaction::begin(**c, db::durability::full);
    if (!t) return t.error();
    auto cur = current_etag(**c, coll, o.name);
    if (!cur) return cur.error();
    if (if_none_match_star && *cur) return fail("dav.precondition", "the resource exists");
    if (if_match && (!*cur || **cur != *if_match)) return fail("dav.precondition", "the ETag does not match");
    auto out = upsert(**c, coll, o);
    if (!out) return out.error();
    TRY(t->commit());
    return put_result{std::move(*out), !*cur};
  }

  result<std::vector<import_status>> put_batch(std::int64_t coll, const std::vector<new_object>& objs) override {
    auto c = conn();
    if (!c) return c.error();
    auto t = db::transaction::begin(**c, db::durability::full);
    if (!t) return t.error();
    std::vector<import_status> out;
    for (auto& o : objs) {
      auto cur = current_etag(**c, coll, o.name);
      if (!cur) return cur.error();
      auto etag = etag_of(o.data);
      if (*cur && **cur == etag) {
        out.push_back(import_status::unchanged);
        continue;
      }
      auto st = c.value()->prepare("SELECT name FROM dav_objects WHERE collection_id=?1 AND uid=?2 AND name<>?3 LIMIT 1");
      if (!st) return st.error();
      st->bind_all(coll, o.uid, o.name);
      auto row = st->step();
      if (!row) return row.error();
      if (*row) {
        out.push_back(import_status::conflict);
        continue;
      }
      st->reset();
      auto ins = c.value()->prepare(
          "INSERT INTO dav_objects (collection_id, name, uid, etag, component, first_start, last_end, modified, data) "
          "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9) ON CONFLICT (collection_id, name) DO UPDATE SET uid=excluded.uid, "
          "etag=excluded.etag, component=excluded.component, first_start=excluded.first_start, "
          "last_end=excluded.last_end, modified=excluded.modified, data=excluded.data");
      if (!ins) return ins.error();
      ins->bind_all(coll, o.name, o.uid, etag, o.component, o.first_start, o.last_end, now(), o.data);
      TRY(ins->run());
      TRY(log_change(**c, coll, o.name, false));
      out.push_back(*cur ? import_status::updated : import_status::created);
    }
    TRY(t->commit());
    return out;
  }

  result<bool> delete_object(std::int64_t coll, const std::string& name, const std::optional<std::string>& if_match) override {
    auto c = conn();
    if (!c) return c.error();
    auto t = db::transaction::begin(**c, db::durability::full);
    if (!t) return t.error();
    auto cur = current_etag(**c, coll, name);
    if (!cur) return cur.error();
    if (if_match && (!*cur || **cur != *if_match)) return fail("dav.precondition", "the ETag does not match");
    if (!*cur) return false;
    auto st = c.value()->prepare("DELETE FROM dav_objects WHERE collection_id=?1 AND name=?2");
    if (!st) return st.error();
    st->bind_all(coll, name);
    TRY(st->run());
    TRY(log_change(**c, coll, name, true));
    TRY(t->commit());
    return true;
  }

  result<std::vector<write_status>> apply_writes(const std::vector<write>& writes) override {
    auto c = conn();
    if (!c) return c.error();
    auto t = db::transaction::begin(**c, db::durability::full);
    if (!t) return t.error();
    std::vector<write_status> out;
    out.reserve(writes.size());
    for (const auto& w : writes) {
      if (w.erase) {
        auto st = c.value()->prepare("DELETE FROM dav_objects WHERE collection_id=?1 AND name=?2");
        if (!st) return st.error();
        st->bind_all(w.coll, w.o.name);
        TRY(st->run());
        if (c.value()->changes() == 0) {
          out.push_back(write_status::absent);
          continue;
        }
        TRY(log_change(**c, w.coll, w.o.name, true));
        out.push_back(write_status::done);
        continue;
      }
      auto r = upsert(**c, w.coll, w.o);
      if (!r && r.error().code == "dav.uid_conflict") {
        out.push_back(write_status::uid_conflict);
        continue;
      }
      if (!r) return r.error();
      out.push_back(write_status::done);
    }
    TRY(t->commit());
    return out;
  }

  result<std::pair<std::int64_t, std::vector<change>>> changes_since(std::int64_t coll, std::int64_t seq) override {
    auto c = conn();
    if (!c) return c.error();
    auto cs = c.value()->prepare("SELECT seq FROM dav_collections WHERE id=?1");
    if (!cs) return cs.error();
    cs->bind(1, coll);
    auto row = cs->step();
    if (!row) return row.error();
    if (!*row) return fail("dav.not_found", "no such collection");
    std::int64_t cur = cs->column_int64(0);
    if (seq > cur || seq < 0) return fail("dav.token", "unknown sync token");
    std::vector<change> out;
    auto st = c.value()->prepare("SELECT name, deleted, seq FROM dav_changes WHERE collection_id=?1 AND seq>?2 ORDER BY seq");
    if (!st) return st.error();
    st->bind_all(coll, seq);
    for (;;) {
      auto r = st->step();
      if (!r) return r.error();
      if (!*r) break;
      out.push_back({st->column_text(0), st->column_int64(1) != 0, st->column_int64(2)});
    }
    return std::make_pair(cur, std::move(out));
  }

  db::database db_;

 private:
  result<db::connection*> conn() { return db_.try_get(); }

  template <class Bind>
  result<std::vector<object>> query_objects(const std::string& sql, Bind bind) {
    auto c = conn();
    if (!c) return c.error();
    auto st = c.value()->prepare(sql);
    if (!st) return st.error();
    bind(*st);
    std::vector<object> out;
    for (;;) {
      auto row = st->step();
      if (!row) return row.error();
      if (!*row) break;
      out.push_back(read_object(*st));
    }
    return out;
  }

  result<std::optional<std::string>> current_etag(db::connection& c, std::int64_t coll, const std::string& name) {
    auto st = c.prepare("SELECT etag FROM dav_objects WHERE collection_id=?1 AND name=?2");
    if (!st) return st.error();
    st->bind_all(coll, name);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return std::optional<std::string>();
    return std::optional<std::string>(st->column_text(0));
  }

  // Inside a transaction: creates or replaces `o` in `coll` and logs the change.
  // Errors: "dav.uid_conflict" (another name holds the UID; nothing written), "dav.not_found".
  result<object> upsert(db::connection& c, std::int64_t coll, const new_object& o) {
    {
      auto st = c.prepare("SELECT name FROM dav_objects WHERE collection_id=?1 AND uid=?2 AND name<>?3 LIMIT 1");
      if (!st) return st.error();
      st->bind_all(coll, o.uid, o.name);
      auto row = st->step();
      if (!row) return row.error();
      if (*row) return fail("dav.uid_conflict", st->column_text(0));
    }
    object out;
    out.name = o.name;
    out.uid = o.uid;
    out.etag = etag_of(o.data);
    out.component = o.component;
    out.first_start = o.first_start;
    out.last_end = o.last_end;
    out.modified = now();
    out.size = static_cast<std::int64_t>(o.data.size());
    auto st = c.prepare(
        "INSERT INTO dav_objects (collection_id, name, uid, etag, component, first_start, last_end, modified, data) "
        "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9) ON CONFLICT (collection_id, name) DO UPDATE SET uid=excluded.uid, "
        "etag=excluded.etag, component=excluded.component, first_start=excluded.first_start, "
        "last_end=excluded.last_end, modified=excluded.modified, data=excluded.data");
    if (!st) return st.error();
    st->bind_all(coll, o.name, o.uid, out.etag, o.component, o.first_start, o.last_end, out.modified, o.data);
    TRY(st->run());
    TRY(log_change(c, coll, o.name, false));
    return out;
  }

  result<void> log_change(db::connection& c, std::int64_t coll, const std::string& name, bool deleted) {
    auto up = c.prepare("UPDATE dav_collections SET seq = seq + 1 WHERE id=?1 RETURNING seq");
    if (!up) return up.error();
    up->bind(1, coll);
    auto row = up->step();
    if (!row) return row.error();
    if (!*row) return fail("dav.not_found", "no such collection");
    std::int64_t seq = up->column_int64(0);
    up->reset();
    auto st = c.prepare(
        "INSERT INTO dav_changes (collection_id, name, seq, deleted) VALUES (?1,?2,?3,?4) "
        "ON CONFLICT (collection_id, name) DO UPDATE SET seq=excluded.seq, deleted=excluded.deleted");
    if (!st) return st.error();
    st->bind_all(coll, name, seq, deleted ? 1 : 0);
    return st->run();
  }

  result<std::int64_t> insert_collection(db::connection& c, const collection& col) {
    auto st = c.prepare(
        "INSERT INTO dav_collections (owner, kind, name, displayname, description, color, sort_order, timezone, "
        "components) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)");
    if (!st) return st.error();
    st->bind_all(col.owner, static_cast<int>(col.kind), col.name, col.displayname, col.description, col.color, col.order,
                 col.timezone, col.components);
    TRY(st->run());
    return c.last_insert_rowid();
  }

  result<void> delete_rows(db::connection& c, std::int64_t id) {
    for (const char* sql : {"DELETE FROM dav_objects WHERE collection_id=?1", "DELETE FROM dav_changes WHERE collection_id=?1",
                            "DELETE FROM dav_props WHERE collection_id=?1", "DELETE FROM dav_collections WHERE id=?1"}) {
      auto st = c.prepare(sql);
      if (!st) return st.error();
      st->bind(1, id);
      TRY(st->run());
    }
    return {};
  }

  result<void> load_dead(db::connection& c, collection& col) {
    auto st = c.prepare("SELECT pname, xml FROM dav_props WHERE collection_id=?1");
    if (!st) return st.error();
    st->bind(1, col.id);
    for (;;) {
      auto row = st->step();
      if (!row) return row.error();
      if (!*row) break;
      col.dead[st->column_text(0)] = st->column_text(1);
    }
    return {};
  }

  result<void> save_dead(db::connection& c, const collection& col) {
    auto del = c.prepare("DELETE FROM dav_props WHERE collection_id=?1");
    if (!del) return del.error();
    del->bind(1, col.id);
    TRY(del->run());
    for (auto& [k, v] : col.dead) {
      auto st = c.prepare("INSERT INTO dav_props (collection_id, pname, xml) VALUES (?1,?2,?3)");
      if (!st) return st.error();
      st->bind_all(col.id, k, v);
      TRY(st->run());
    }
    return {};
  }
};

}  // namespace

std::string etag_of(std::string_view data) {
  return "\"" + crypto::hex_encode(crypto::sha256(data).substr(0, 16)) + "\"";
}

result<std::unique_ptr<store>> store::open(const std::filesystem::path& db_file) {
  auto d = db::database::open(db_file);
  if (!d) return d.error();
  auto c = d->try_get();
  if (!c) return c.error();
  auto v = db::migrate(**c, "dav", migrations);
  if (!v) return v.error();
  return std::unique_ptr<store>(std::make_unique<sqlite_store>(std::move(*d)));
}

}  // namespace hearth::dav
