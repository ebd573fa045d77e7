// dav::store on core/sql: one implementation for SQLite and PostgreSQL, in the server's
// database next to the directory. The tables and the "dav" migrations are those the SQLite-only
// store made, so existing data directories open unchanged.
#include <chrono>

#include "core/crypto/crypto.hpp"
#include "core/sql/sql.hpp"
#include "dav/store/store.hpp"

namespace hearth::dav {
namespace {

// Never edit a released migration: add the next one. Written in SQLite's DDL; PostgreSQL gets
// it through sql::postgres_ddl (AUTOINCREMENT ids become identity columns there).
constexpr sql::migration migrations[] = {
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

// The size of an object in octets: SQLite's length() of TEXT counts characters and it has no
// octet_length() before 3.43 (Debian 12 ships 3.40), hence the cast; PostgreSQL's cast of
// TEXT to BYTEA would read backslashes as escapes, hence octet_length() there.
std::string obj_cols(sql::engine e, bool with_data) {
  return std::string("SELECT id, name, uid, etag, component, first_start, last_end, modified, ") +
         (with_data ? "data, " : "'', ") +
         (e == sql::engine::sqlite ? "length(CAST(data AS BLOB))" : "octet_length(data)") + " FROM dav_objects ";
}

collection read_collection(const sql::rows& r, int i) {
  collection c;
  c.id = r.int64(i, 0);
  c.owner = r.text(i, 1);
  c.kind = r.int64(i, 2) == 1 ? kind::addressbook : kind::calendar;
  c.name = r.text(i, 3);
  c.displayname = r.text(i, 4);
  c.description = r.text(i, 5);
  c.color = r.text(i, 6);
  c.order = r.text(i, 7);
  c.timezone = r.text(i, 8);
  c.components = r.text(i, 9);
  c.seq = r.int64(i, 10);
  return c;
}

object read_object(const sql::rows& r, int i) {
  object o;
  o.id = r.int64(i, 0);
  o.name = r.text(i, 1);
  o.uid = r.text(i, 2);
  o.etag = r.text(i, 3);
  o.component = r.text(i, 4);
  o.first_start = r.int64(i, 5);
  o.last_end = r.int64(i, 6);
  o.modified = r.int64(i, 7);
  o.data = r.text(i, 8);
  o.size = r.int64(i, 9);
  return o;
}

constexpr const char* upsert_sql =
    "INSERT INTO dav_objects (collection_id, name, uid, etag, component, first_start, last_end, modified, data) "
    "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9) ON CONFLICT (collection_id, name) DO UPDATE SET uid=excluded.uid, "
    "etag=excluded.etag, component=excluded.component, first_start=excluded.first_start, "
    "last_end=excluded.last_end, modified=excluded.modified, data=excluded.data";

class sql_store final : public store {
 public:
  explicit sql_store(std::unique_ptr<sql::database> d)
      : db_(std::move(d)), meta_cols_(obj_cols(db_->kind(), false)), data_cols_(obj_cols(db_->kind(), true)) {}

  result<void> ensure_defaults(const std::string& owner) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto& k = **c;
    auto seen = k.query("SELECT 1 FROM dav_accounts WHERE owner = ?1", owner);
    if (!seen) return seen.error();
    if (!seen->empty()) return {};
    auto t = sql::transaction::begin(k, sql::durability::full);
    if (!t) return t.error();
    auto ins = k.query("INSERT INTO dav_accounts (owner) VALUES (?1) ON CONFLICT (owner) DO NOTHING", owner);
    if (!ins) return ins.error();
    if (ins->affected() == 0) return {};  // another thread (or node) did it
    collection cal;
    cal.owner = owner;
    cal.kind = kind::calendar;
    cal.name = "personal";
    cal.displayname = "Personal";
    cal.components = "VEVENT,VTODO";
    if (auto r = insert_collection(k, cal); !r) return r.error();
    collection ab;
    ab.owner = owner;
    ab.kind = kind::addressbook;
    ab.name = "contacts";
    ab.displayname = "Contacts";
    ab.components = "";
    if (auto r = insert_collection(k, ab); !r) return r.error();
    return t->commit();
  }

  result<std::vector<collection>> collections(const std::string& owner, kind kd) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto r = (*c)->query(std::string(coll_cols) + "WHERE owner = ?1 AND kind = ?2 ORDER BY name", owner,
                         static_cast<int>(kd));
    if (!r) return r.error();
    std::vector<collection> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(read_collection(*r, i));
    for (auto& col : out)
      if (auto d = load_dead(**c, col); !d) return d.error();
    return out;
  }

  result<std::optional<collection>> find_collection(const std::string& owner, kind kd, const std::string& name) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto r = (*c)->query(std::string(coll_cols) + "WHERE owner = ?1 AND kind = ?2 AND name = ?3", owner,
                         static_cast<int>(kd), name);
    if (!r) return r.error();
    if (r->empty()) return std::optional<collection>();
    auto col = read_collection(*r, 0);
    if (auto d = load_dead(**c, col); !d) return d.error();
    return std::optional<collection>(std::move(col));
  }

  result<collection> create_collection(collection col) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto t = sql::transaction::begin(**c, sql::durability::full);
    if (!t) return t.error();
    auto id = insert_collection(**c, col);
    if (!id) return id.error();
    col.id = *id;
    if (auto r = save_dead(**c, col); !r) return r.error();
    if (auto r = t->commit(); !r) return r.error();
    return col;
  }

  result<void> update_collection(const collection& col) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto t = sql::transaction::begin(**c, sql::durability::full);
    if (!t) return t.error();
    auto r = (*c)->query(
        "UPDATE dav_collections SET displayname=?2, description=?3, color=?4, sort_order=?5, timezone=?6, "
        "components=?7 WHERE id=?1",
        col.id, col.displayname, col.description, col.color, col.order, col.timezone, col.components);
    if (!r) return r.error();
    if (auto d = save_dead(**c, col); !d) return d.error();
    return t->commit();
  }

  result<void> delete_collection(std::int64_t id) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto t = sql::transaction::begin(**c, sql::durability::full);
    if (!t) return t.error();
    if (auto r = delete_rows(**c, id); !r) return r.error();
    return t->commit();
  }

  result<collection> copy_collection(std::int64_t src, const std::string& name, bool members, bool move,
                                     std::optional<std::int64_t> replace) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto& k = **c;
    auto t = sql::transaction::begin(k, sql::durability::full);
    if (!t) return t.error();
    auto r = k.query(std::string(coll_cols) + "WHERE id = ?1", src);
    if (!r) return r.error();
    if (r->empty()) return fail("dav.not_found", "no such collection");
    collection col = read_collection(*r, 0);
    if (auto d = load_dead(k, col); !d) return d.error();
    if (replace)
      if (auto d = delete_rows(k, *replace); !d) return d.error();
    col.name = name;
    col.seq = 0;
    auto id = insert_collection(k, col);
    if (!id) return id.error();
    col.id = *id;
    if (auto d = save_dead(k, col); !d) return d.error();
    if (members) {
      // Objects keep their ETags (same bytes); each becomes change number 1..n of the copy.
      // The CASTs give PostgreSQL the parameter's type where no column does.
      auto o = k.query(
          "INSERT INTO dav_objects (collection_id, name, uid, etag, component, first_start, last_end, modified, data) "
          "SELECT CAST(?1 AS BIGINT), name, uid, etag, component, first_start, last_end, modified, data "
          "FROM dav_objects WHERE collection_id=?2",
          col.id, src);
      if (!o) return o.error();
      auto ch = k.query(
          "INSERT INTO dav_changes (collection_id, name, seq, deleted) SELECT CAST(?1 AS BIGINT), name, "
          "ROW_NUMBER() OVER (ORDER BY name), 0 FROM dav_objects WHERE collection_id=?1",
          col.id);
      if (!ch) return ch.error();
      auto seq = k.query(
          "UPDATE dav_collections SET seq = (SELECT count(*) FROM dav_objects WHERE collection_id=?1) WHERE id=?1 "
          "RETURNING seq",
          col.id);
      if (!seq) return seq.error();
      col.seq = seq->int64(0, 0);
    }
    if (move)
      if (auto d = delete_rows(k, src); !d) return d.error();
    if (auto d = t->commit(); !d) return d.error();
    return col;
  }

  result<std::vector<object>> objects(std::int64_t coll, bool with_data) override {
    return query_objects((with_data ? data_cols_ : meta_cols_) + "WHERE collection_id=?1 ORDER BY name", coll);
  }

  result<std::optional<object>> find_object(std::int64_t coll, const std::string& name, bool with_data) override {
    auto r = query_objects((with_data ? data_cols_ : meta_cols_) + "WHERE collection_id=?1 AND name=?2", coll, name);
    if (!r) return r.error();
    if (r->empty()) return std::optional<object>();
    return std::optional<object>(std::move(r->front()));
  }

  result<std::vector<object>> objects_in_range(std::int64_t coll, const std::string& component, std::int64_t start,
                                               std::int64_t end) override {
    return query_objects(
        data_cols_ + "WHERE collection_id=?1 AND component=?2 AND first_start < ?4 AND last_end >= ?3 ORDER BY name", coll,
        component, start, end);
  }

  result<put_result> put_object(std::int64_t coll, const new_object& o, const std::optional<std::string>& if_match,
                                bool if_none_match_star) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto t = sql::transaction::begin(**c, sql::durability::full);
    if (!t) return t.error();
    auto cur = current_etag(**c, coll, o.name);
    if (!cur) return cur.error();
    if (if_none_match_star && *cur) return fail("dav.precondition", "the resource exists");
    if (if_match && (!*cur || **cur != *if_match)) return fail("dav.precondition", "the ETag does not match");
    auto out = upsert(**c, coll, o);
    if (!out) return out.error();
    if (auto r = t->commit(); !r) return r.error();
    return put_result{std::move(*out), !*cur};
  }

  result<std::vector<import_status>> put_batch(std::int64_t coll, const std::vector<new_object>& objs) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto t = sql::transaction::begin(**c, sql::durability::full);
    if (!t) return t.error();
    std::vector<import_status> out;
    for (auto& o : objs) {
      auto cur = current_etag(**c, coll, o.name);
      if (!cur) return cur.error();
      if (*cur && **cur == etag_of(o.data)) {
        out.push_back(import_status::unchanged);
        continue;
      }
      auto r = upsert(**c, coll, o);
      if (!r && r.error().code == "dav.uid_conflict") {
        out.push_back(import_status::conflict);
        continue;
      }
      if (!r) return r.error();
      out.push_back(*cur ? import_status::updated : import_status::created);
    }
    if (auto r = t->commit(); !r) return r.error();
    return out;
  }

  result<bool> delete_object(std::int64_t coll, const std::string& name, const std::optional<std::string>& if_match) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto t = sql::transaction::begin(**c, sql::durability::full);
    if (!t) return t.error();
    auto cur = current_etag(**c, coll, name);
    if (!cur) return cur.error();
    if (if_match && (!*cur || **cur != *if_match)) return fail("dav.precondition", "the ETag does not match");
    if (!*cur) return false;
    if (auto r = (*c)->query("DELETE FROM dav_objects WHERE collection_id=?1 AND name=?2", coll, name); !r) return r.error();
    if (auto r = log_change(**c, coll, name, true); !r) return r.error();
    if (auto r = t->commit(); !r) return r.error();
    return true;
  }

  result<std::vector<write_status>> apply_writes(const std::vector<write>& writes) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto& k = **c;
    auto t = sql::transaction::begin(k, sql::durability::full);
    if (!t) return t.error();
    std::vector<write_status> out;
    out.reserve(writes.size());
    for (const auto& w : writes) {
      if (w.erase) {
        auto d = k.query("DELETE FROM dav_objects WHERE collection_id=?1 AND name=?2", w.coll, w.o.name);
        if (!d) return d.error();
        if (d->affected() == 0) {
          out.push_back(write_status::absent);
          continue;
        }
        if (auto r = log_change(k, w.coll, w.o.name, true); !r) return r.error();
        out.push_back(write_status::done);
        continue;
      }
      auto r = upsert(k, w.coll, w.o);
      if (!r && r.error().code == "dav.uid_conflict") {
        out.push_back(write_status::uid_conflict);
        continue;
      }
      if (!r) return r.error();
      out.push_back(write_status::done);
    }
    if (auto r = t->commit(); !r) return r.error();
    return out;
  }

  result<std::pair<std::int64_t, std::vector<change>>> changes_since(std::int64_t coll, std::int64_t seq) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto cs = (*c)->query_int("SELECT seq FROM dav_collections WHERE id=?1", coll);
    if (!cs) return cs.error();
    if (!*cs) return fail("dav.not_found", "no such collection");
    const std::int64_t cur = **cs;
    if (seq > cur || seq < 0) return fail("dav.token", "unknown sync token");
    // Only changes up to the token returned: one committed between the two reads comes with
    // the next sync, not twice.
    auto r = (*c)->query(
        "SELECT name, deleted, seq FROM dav_changes WHERE collection_id=?1 AND seq>?2 AND seq<=?3 ORDER BY seq", coll, seq,
        cur);
    if (!r) return r.error();
    std::vector<change> out;
    for (int i = 0; i < r->size(); ++i) out.push_back({r->text(i, 0), r->int64(i, 1) != 0, r->int64(i, 2)});
    return std::make_pair(cur, std::move(out));
  }

 private:
  template <class... Args>
  result<std::vector<object>> query_objects(const std::string& sql, const Args&... args) {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto r = (*c)->query(sql, args...);
    if (!r) return r.error();
    std::vector<object> out;
    out.reserve(r->size());
    for (int i = 0; i < r->size(); ++i) out.push_back(read_object(*r, i));
    return out;
  }

  static result<std::optional<std::string>> current_etag(sql::connection& c, std::int64_t coll, const std::string& name) {
    auto r = c.query("SELECT etag FROM dav_objects WHERE collection_id=?1 AND name=?2", coll, name);
    if (!r) return r.error();
    return r->opt_text(0, 0);
  }

  // Inside a transaction: creates or replaces `o` in `coll` and logs the change.
  // Errors: "dav.uid_conflict" (another name holds the UID; nothing written), "dav.not_found".
  static result<object> upsert(sql::connection& c, std::int64_t coll, const new_object& o) {
    auto holder =
        c.query("SELECT name FROM dav_objects WHERE collection_id=?1 AND uid=?2 AND name<>?3 LIMIT 1", coll, o.uid, o.name);
    if (!holder) return holder.error();
    if (!holder->empty()) return fail("dav.uid_conflict", holder->text(0, 0));
    object out;
    out.name = o.name;
    out.uid = o.uid;
    out.etag = etag_of(o.data);
    out.component = o.component;
    out.first_start = o.first_start;
    out.last_end = o.last_end;
    out.modified = now();
    out.size = static_cast<std::int64_t>(o.data.size());
    auto r = c.query(upsert_sql, coll, o.name, o.uid, out.etag, o.component, o.first_start, o.last_end, out.modified, o.data);
    if (!r) return r.error();
    if (auto l = log_change(c, coll, o.name, false); !l) return l.error();
    return out;
  }

  // The collection's change number moves by one for every change; the log keeps each name's
  // latest (RFC 6578: a sync reports each member once, in its current state).
  static result<void> log_change(sql::connection& c, std::int64_t coll, const std::string& name, bool deleted) {
    auto seq = c.query_int("UPDATE dav_collections SET seq = seq + 1 WHERE id=?1 RETURNING seq", coll);
    if (!seq) return seq.error();
    if (!*seq) return fail("dav.not_found", "no such collection");
    auto r = c.query(
        "INSERT INTO dav_changes (collection_id, name, seq, deleted) VALUES (?1,?2,?3,?4) "
        "ON CONFLICT (collection_id, name) DO UPDATE SET seq=excluded.seq, deleted=excluded.deleted",
        coll, name, **seq, deleted ? 1 : 0);
    if (!r) return r.error();
    return {};
  }

  // Errors: "dav.exists" (the owner has a collection of this kind and name).
  static result<std::int64_t> insert_collection(sql::connection& c, const collection& col) {
    auto r = c.query_int(
        "INSERT INTO dav_collections (owner, kind, name, displayname, description, color, sort_order, timezone, "
        "components) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9) RETURNING id",
        col.owner, static_cast<int>(col.kind), col.name, col.displayname, col.description, col.color, col.order,
        col.timezone, col.components);
    if (!r && r.error().code == "db.constraint") return fail("dav.exists", "a collection with this name exists");
    if (!r) return r.error();
    return r->value_or(0);
  }

  static result<void> delete_rows(sql::connection& c, std::int64_t id) {
    for (const char* q : {"DELETE FROM dav_objects WHERE collection_id=?1", "DELETE FROM dav_changes WHERE collection_id=?1",
                          "DELETE FROM dav_props WHERE collection_id=?1", "DELETE FROM dav_collections WHERE id=?1"})
      if (auto r = c.query(q, id); !r) return r.error();
    return {};
  }

  static result<void> load_dead(sql::connection& c, collection& col) {
    auto r = c.query("SELECT pname, xml FROM dav_props WHERE collection_id=?1", col.id);
    if (!r) return r.error();
    for (int i = 0; i < r->size(); ++i) col.dead[r->text(i, 0)] = r->text(i, 1);
    return {};
  }

  static result<void> save_dead(sql::connection& c, const collection& col) {
    if (auto r = c.query("DELETE FROM dav_props WHERE collection_id=?1", col.id); !r) return r.error();
    for (auto& [k, v] : col.dead)
      if (auto r = c.query("INSERT INTO dav_props (collection_id, pname, xml) VALUES (?1,?2,?3)", col.id, k, v); !r)
        return r.error();
    return {};
  }

  std::unique_ptr<sql::database> db_;
  const std::string meta_cols_, data_cols_;
};

}  // namespace

std::string etag_of(std::string_view data) {
  return "\"" + crypto::hex_encode(crypto::sha256(data).substr(0, 16)) + "\"";
}

result<std::unique_ptr<store>> store::open(const std::string& target) {
  auto d = sql::open_migrated(target, "dav", migrations);
  if (!d) return d.error();
  return std::unique_ptr<store>(std::make_unique<sql_store>(std::move(*d)));
}

}  // namespace hearth::dav
