// The SQLite token store (token_store.hpp), in its own file beside the data directory's
// hearth.db (`spam.db`): training writes thousands of rows at a time, and keeping them apart
// keeps them off the mail store's write lock.
#include <array>
#include <ctime>
#include <map>

#include "core/db/db.hpp"
#include "mail/filter/bayes/token_store.hpp"

namespace hearth::mail::filter::bayes {
namespace {

constexpr std::array<db::migration, 1> migrations{{
    {1, "spam filter: owners, token counts, trained messages",
     "CREATE TABLE spam_owners ("
     "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
     "  spam INTEGER NOT NULL DEFAULT 0, ham INTEGER NOT NULL DEFAULT 0);"
     "INSERT INTO spam_owners(id, name) VALUES (1, '');"
     "CREATE TABLE spam_tokens ("
     "  owner INTEGER NOT NULL, token INTEGER NOT NULL,"
     "  spam INTEGER NOT NULL DEFAULT 0, ham INTEGER NOT NULL DEFAULT 0,"
     "  PRIMARY KEY (owner, token)) WITHOUT ROWID;"
     "CREATE TABLE spam_learnt ("
     "  owner INTEGER NOT NULL, message TEXT NOT NULL, spam INTEGER NOT NULL,"
     "  site INTEGER NOT NULL, tokens BLOB NOT NULL, learnt_at INTEGER NOT NULL,"
     "  PRIMARY KEY (owner, message)) WITHOUT ROWID;"},
}};

constexpr std::int64_t site_id = 1;

std::vector<std::uint8_t> pack(const std::vector<std::uint64_t>& t) {
  std::vector<std::uint8_t> out(t.size() * 8);
  for (std::size_t i = 0; i < t.size(); ++i)
    for (int b = 0; b < 8; ++b) out[i * 8 + b] = static_cast<std::uint8_t>(t[i] >> (8 * b));
  return out;
}

std::vector<std::uint64_t> unpack(const std::vector<std::uint8_t>& b) {
  std::vector<std::uint64_t> out(b.size() / 8);
  for (std::size_t i = 0; i < out.size(); ++i)
    for (int k = 0; k < 8; ++k) out[i] |= static_cast<std::uint64_t>(b[i * 8 + k]) << (8 * k);
  return out;
}

// Pending changes of one transaction, summed per (owner, token) so a batch of messages
// sharing tokens writes each row once.
struct deltas {
  std::map<std::pair<std::int64_t, std::uint64_t>, std::pair<std::int64_t, std::int64_t>> tokens;
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> totals;
  void add(std::int64_t owner, const std::vector<std::uint64_t>& toks, bool spam, int sign) {
    for (auto t : toks) {
      auto& d = tokens[{owner, t}];
      (spam ? d.first : d.second) += sign;
    }
    auto& d = totals[owner];
    (spam ? d.first : d.second) += sign;
  }
};

class sqlite_token_store final : public token_store {
 public:
  explicit sqlite_token_store(db::database d) : db_(std::move(d)) {}

  result<counts> totals(std::string_view owner) override {
    auto c = db_.try_get();
    if (!c) return c.error();
    auto st = (*c)->prepare("SELECT sum(spam), sum(ham) FROM spam_owners WHERE name = '' OR name = ?1");
    if (!st) return st.error();
    st->bind(1, owner);
    auto r = st->step();
    if (!r) return r.error();
    counts out;
    if (*r) out = {static_cast<std::uint64_t>(st->column_int64(0)), static_cast<std::uint64_t>(st->column_int64(1))};
    return out;
  }

  result<std::vector<counts>> lookup(std::string_view owner, const std::vector<std::uint64_t>& tokens) override {
    auto c = db_.try_get();
    if (!c) return c.error();
    auto id = owner_id(**c, owner, false);
    if (!id) return id.error();
    std::vector<counts> out(tokens.size());
    auto st = (*c)->prepare("SELECT spam, ham FROM spam_tokens WHERE owner = ?1 AND token = ?2");
    if (!st) return st.error();
    // Reads in one transaction: a consistent view, and one lock for all the look-ups.
    auto begin = (*c)->exec("BEGIN");
    if (!begin) return begin.error();
    std::vector<std::int64_t> ids{site_id};
    if (*id > 0 && *id != site_id) ids.push_back(*id);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      for (auto o : ids) {
        st->bind(1, o).bind(2, static_cast<std::int64_t>(tokens[i]));
        auto r = st->step();
        if (!r) {
          (void)(*c)->exec("ROLLBACK");
          return r.error();
        }
        if (*r) {
          out[i].spam += static_cast<std::uint64_t>(std::max<std::int64_t>(0, st->column_int64(0)));
          out[i].ham += static_cast<std::uint64_t>(std::max<std::int64_t>(0, st->column_int64(1)));
        }
        st->reset();
      }
    }
    (void)(*c)->exec("COMMIT");
    return out;
  }

  result<std::vector<learn_outcome>> learn(const std::vector<learn_item>& items) override {
    auto c = db_.try_get();
    if (!c) return c.error();
    auto tx = db::transaction::begin(**c);
    if (!tx) return tx.error();
    deltas d;
    std::vector<learn_outcome> out;
    auto find = (*c)->prepare("SELECT spam, site, tokens FROM spam_learnt WHERE owner = ?1 AND message = ?2");
    auto put = (*c)->prepare(
        "INSERT INTO spam_learnt(owner, message, spam, site, tokens, learnt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
        "ON CONFLICT(owner, message) DO UPDATE SET spam = excluded.spam, site = excluded.site, "
        "tokens = excluded.tokens, learnt_at = excluded.learnt_at");
    if (!find) return find.error();
    if (!put) return put.error();
    // Within one batch the same message may come twice (a move, then a keyword): the later
    // lesson wins, as it would one at a time.
    std::map<std::pair<std::int64_t, std::string>, std::tuple<bool, bool, std::vector<std::uint64_t>>> pending;
    for (const auto& it : items) {
      auto id = owner_id(**c, it.owner, true);
      if (!id) return id.error();
      const bool site = it.also_site && *id != site_id;
      learn_outcome o = learn_outcome::learnt;
      std::optional<std::tuple<bool, bool, std::vector<std::uint64_t>>> before;
      if (auto p = pending.find({*id, it.message}); p != pending.end()) {
        before = p->second;
      } else {
        find->bind(1, *id).bind(2, it.message);
        auto r = find->step();
        if (!r) return r.error();
        if (*r) before = std::make_tuple(find->column_int64(0) != 0, find->column_int64(1) != 0, unpack(find->column_blob(2)));
        find->reset();
      }
      if (before) {
        auto& [was_spam, was_site, toks] = *before;
        if (was_spam == it.spam) {
          out.push_back(learn_outcome::already);
          continue;
        }
        d.add(*id, toks, was_spam, -1);
        if (was_site) d.add(site_id, toks, was_spam, -1);
        o = learn_outcome::flipped;
      }
      d.add(*id, it.tokens, it.spam, +1);
      if (site) d.add(site_id, it.tokens, it.spam, +1);
      pending[{*id, it.message}] = {it.spam, site, it.tokens};
      put->bind_all(*id, it.message, it.spam ? 1 : 0, site ? 1 : 0, pack(it.tokens), static_cast<std::int64_t>(std::time(nullptr)));
      auto r = put->run();
      if (!r) return r.error();
      put->reset();
      out.push_back(o);
    }
    auto a = apply(**c, d);
    if (!a) return a.error();
    auto cm = tx->commit();
    if (!cm) return cm.error();
    return out;
  }

  result<bool> unlearn(std::string_view owner, std::string_view message) override {
    auto c = db_.try_get();
    if (!c) return c.error();
    auto tx = db::transaction::begin(**c);
    if (!tx) return tx.error();
    auto id = owner_id(**c, owner, false);
    if (!id) return id.error();
    if (*id == 0) return false;
    auto find = (*c)->prepare("SELECT spam, site, tokens FROM spam_learnt WHERE owner = ?1 AND message = ?2");
    if (!find) return find.error();
    find->bind(1, *id).bind(2, message);
    auto r = find->step();
    if (!r) return r.error();
    if (!*r) return false;
    deltas d;
    const bool spam = find->column_int64(0) != 0, site = find->column_int64(1) != 0;
    auto toks = unpack(find->column_blob(2));
    find->reset();
    d.add(*id, toks, spam, -1);
    if (site) d.add(site_id, toks, spam, -1);
    auto del = (*c)->prepare("DELETE FROM spam_learnt WHERE owner = ?1 AND message = ?2");
    if (!del) return del.error();
    auto dr = del->bind(1, *id).bind(2, message).run();
    if (!dr) return dr.error();
    auto a = apply(**c, d);
    if (!a) return a.error();
    auto cm = tx->commit();
    if (!cm) return cm.error();
    return true;
  }

  result<std::uint64_t> forget(std::string_view owner) override {
    auto c = db_.try_get();
    if (!c) return c.error();
    auto tx = db::transaction::begin(**c);
    if (!tx) return tx.error();
    auto id = owner_id(**c, owner, false);
    if (!id) return id.error();
    if (*id == 0) return std::uint64_t{0};
    // The user's share of the site-wide counts goes first (their records say what it was).
    deltas d;
    std::uint64_t n = 0;
    {
      auto sel = (*c)->prepare("SELECT spam, tokens FROM spam_learnt WHERE owner = ?1 AND site = 1");
      if (!sel) return sel.error();
      sel->bind(1, *id);
      for (;;) {
        auto r = sel->step();
        if (!r) return r.error();
        if (!*r) break;
        d.add(site_id, unpack(sel->column_blob(1)), sel->column_int64(0) != 0, -1);
      }
    }
    auto a = apply(**c, d);
    if (!a) return a.error();
    if (*id == site_id) {
      // The site-wide database goes whole, users' shares included: their records no longer
      // count there.
      auto un = (*c)->exec("UPDATE spam_learnt SET site = 0 WHERE site = 1");
      if (!un) return un.error();
    }
    for (std::string_view sql : {"DELETE FROM spam_learnt WHERE owner = ?1", "DELETE FROM spam_tokens WHERE owner = ?1",
                                 "UPDATE spam_owners SET spam = 0, ham = 0 WHERE id = ?1"}) {
      auto st = (*c)->prepare(sql);
      if (!st) return st.error();
      auto r = st->bind(1, *id).run();
      if (!r) return r.error();
      if (sql.find("spam_learnt") != std::string_view::npos) n = static_cast<std::uint64_t>((*c)->changes());
    }
    auto cm = tx->commit();
    if (!cm) return cm.error();
    return n;
  }

  result<owner_stats> stats(std::string_view owner) override {
    auto c = db_.try_get();
    if (!c) return c.error();
    owner_stats s;
    s.owner = std::string(owner);
    auto st = (*c)->prepare(
        "SELECT spam, ham, (SELECT count(*) FROM spam_tokens t WHERE t.owner = o.id) FROM spam_owners o WHERE name = ?1");
    if (!st) return st.error();
    st->bind(1, owner);
    auto r = st->step();
    if (!r) return r.error();
    if (*r) {
      s.messages = {static_cast<std::uint64_t>(st->column_int64(0)), static_cast<std::uint64_t>(st->column_int64(1))};
      s.tokens = static_cast<std::uint64_t>(st->column_int64(2));
    }
    return s;
  }

  result<std::vector<std::string>> owners() override {
    auto c = db_.try_get();
    if (!c) return c.error();
    auto st = (*c)->prepare("SELECT name FROM spam_owners ORDER BY name");
    if (!st) return st.error();
    std::vector<std::string> out;
    for (;;) {
      auto r = st->step();
      if (!r) return r.error();
      if (!*r) break;
      out.push_back(st->column_text(0));
    }
    return out;
  }

  result<int> learnt_as(std::string_view owner, std::string_view message) override {
    auto c = db_.try_get();
    if (!c) return c.error();
    auto st = (*c)->prepare(
        "SELECT l.spam FROM spam_learnt l JOIN spam_owners o ON o.id = l.owner WHERE o.name = ?1 AND l.message = ?2");
    if (!st) return st.error();
    st->bind(1, owner).bind(2, message);
    auto r = st->step();
    if (!r) return r.error();
    if (!*r) return 0;
    return st->column_int64(0) != 0 ? 1 : 2;
  }

 private:
  // The owner's row id; 0 when it has none and `create` is false.
  result<std::int64_t> owner_id(db::connection& c, std::string_view owner, bool create) {
    if (owner.empty()) return site_id;
    auto st = c.prepare("SELECT id FROM spam_owners WHERE name = ?1");
    if (!st) return st.error();
    st->bind(1, owner);
    auto r = st->step();
    if (!r) return r.error();
    if (*r) return st->column_int64(0);
    st->reset();
    if (!create) return std::int64_t{0};
    auto ins = c.prepare("INSERT INTO spam_owners(name) VALUES (?1)");
    if (!ins) return ins.error();
    auto ir = ins->bind(1, owner).run();
    if (!ir) return ir.error();
    return c.last_insert_rowid();
  }

  result<void> apply(db::connection& c, const deltas& d) {
    auto up = c.prepare(
        "INSERT INTO spam_tokens(owner, token, spam, ham) VALUES (?1, ?2, max(?3, 0), max(?4, 0)) "
        "ON CONFLICT(owner, token) DO UPDATE SET spam = max(spam + ?3, 0), ham = max(ham + ?4, 0)");
    auto gone = c.prepare("DELETE FROM spam_tokens WHERE owner = ?1 AND token = ?2 AND spam = 0 AND ham = 0");
    if (!up) return up.error();
    if (!gone) return gone.error();
    for (const auto& [k, v] : d.tokens) {
      if (v.first == 0 && v.second == 0) continue;
      auto r = up->bind_all(k.first, static_cast<std::int64_t>(k.second), v.first, v.second).run();
      if (!r) return r.error();
      up->reset();
      if (v.first < 0 || v.second < 0) {
        auto g = gone->bind_all(k.first, static_cast<std::int64_t>(k.second)).run();
        if (!g) return g.error();
        gone->reset();
      }
    }
    auto tot = c.prepare("UPDATE spam_owners SET spam = max(spam + ?2, 0), ham = max(ham + ?3, 0) WHERE id = ?1");
    if (!tot) return tot.error();
    for (const auto& [o, v] : d.totals) {
      auto r = tot->bind_all(o, v.first, v.second).run();
      if (!r) return r.error();
      tot->reset();
    }
    return {};
  }

  db::database db_;
};

}  // namespace

result<std::unique_ptr<token_store>> open_sqlite_token_store(const std::filesystem::path& file) {
  auto d = db::database::open(file);
  if (!d) return d.error();
  auto c = d->try_get();
  if (!c) return c.error();
  auto v = db::migrate(**c, "spam", migrations);
  if (!v) return v.error();
  return std::unique_ptr<token_store>(new sqlite_token_store(std::move(*d)));
}

}  // namespace hearth::mail::filter::bayes
