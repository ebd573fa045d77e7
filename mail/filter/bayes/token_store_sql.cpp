// token_store on core/sql. On SQLite it has its own file beside the data directory's hearth.db
// (`spam.db`): training writes thousands of rows at a time, and keeping them apart keeps them
// off the mail store's write lock.
#include <algorithm>
#include <ctime>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>

#include "core/sql/sql.hpp"
#include "mail/filter/bayes/token_store.hpp"

namespace hearth::mail::filter::bayes {
namespace {

// Never edit a released migration: add the next one.
constexpr sql::migration migrations[] = {
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
};

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

using lesson = std::tuple<bool, bool, std::vector<std::uint64_t>>;  // spam, site, tokens

// Tokens looked up per statement: lookup() is on the SMTP path, and one statement per token
// would be a round trip each on PostgreSQL. One statement text (the last chunk padded with
// repeats of its last token), so it is prepared once per connection.
constexpr std::size_t lookup_chunk = 128;

std::string make_lookup_sql() {
  std::string q = "SELECT token, spam, ham FROM spam_tokens WHERE owner IN (?1, ?2) AND token IN (";
  for (std::size_t i = 0; i < lookup_chunk; ++i) q += (i ? ", ?" : "?") + std::to_string(i + 3);
  return q + ")";
}

class sql_token_store final : public token_store {
 public:
  explicit sql_token_store(std::unique_ptr<sql::database> d) : db_(std::move(d)), lookup_sql_(make_lookup_sql()) {}

  result<counts> totals(std::string_view owner) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    // Asked for every incoming message. Two index lookups joined with UNION ALL: SQLite turns
    // `name = '' OR name = ?1` into an IN list, which it answers through an ephemeral table.
    auto r = (*c)->query(
        "SELECT sum(spam), sum(ham) FROM (SELECT spam, ham FROM spam_owners WHERE name = '' "
        "UNION ALL SELECT spam, ham FROM spam_owners WHERE name = ?1 AND name <> '') AS t",
        owner);
    if (!r) return r.error();
    return counts{static_cast<std::uint64_t>(r->int64(0, 0)), static_cast<std::uint64_t>(r->int64(0, 1))};
  }

  result<std::vector<counts>> lookup(std::string_view owner, const std::vector<std::uint64_t>& tokens) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto id = owner_id(c, owner, false);
    if (!id) return id.error();
    std::vector<counts> out(tokens.size());
    if (tokens.empty()) return out;
    // Each distinct token is asked once (a token in two chunks would be counted twice); the
    // owner's and the site's rows come back together and are summed here.
    std::unordered_map<std::uint64_t, counts> found;
    found.reserve(tokens.size());
    std::vector<std::uint64_t> distinct;
    distinct.reserve(tokens.size());
    for (auto t : tokens)
      if (found.try_emplace(t).second) distinct.push_back(t);
    std::vector<sql::value> params(lookup_chunk + 2);
    params[0] = site_id;
    params[1] = *id > 0 ? *id : site_id;
    // Reads in one read transaction: a consistent view (no write lock: training goes on).
    // READ ONLY on PostgreSQL: its COMMIT is then not waited for (core/pg).
    if (auto b = c.exec(c.kind() == sql::engine::postgres ? "BEGIN READ ONLY" : "BEGIN"); !b) return b.error();
    for (std::size_t at = 0; at < distinct.size(); at += lookup_chunk) {
      for (std::size_t i = 0; i < lookup_chunk; ++i)
        params[i + 2] = static_cast<std::int64_t>(distinct[std::min(at + i, distinct.size() - 1)]);
      auto r = c.run(lookup_sql_, params);
      if (!r) {
        (void)c.exec("ROLLBACK");
        return r.error();
      }
      for (int row = 0; row < r->size(); ++row) {
        auto& f = found[static_cast<std::uint64_t>(r->int64(row, 0))];
        f.spam += static_cast<std::uint64_t>(std::max<std::int64_t>(0, r->int64(row, 1)));
        f.ham += static_cast<std::uint64_t>(std::max<std::int64_t>(0, r->int64(row, 2)));
      }
    }
    (void)c.exec("COMMIT");
    for (std::size_t i = 0; i < tokens.size(); ++i) out[i] = found[tokens[i]];
    return out;
  }

  result<std::vector<learn_outcome>> learn(const std::vector<learn_item>& items) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto tx = sql::transaction::begin(c);
    if (!tx) return tx.error();
    deltas d;
    std::vector<learn_outcome> out;
    // Within one batch the same message may come twice (a move, then a keyword): the later
    // lesson wins, as it would one at a time.
    std::map<std::pair<std::int64_t, std::string>, lesson> pending;
    for (const auto& it : items) {
      auto id = owner_id(c, it.owner, true);
      if (!id) return id.error();
      const bool site = it.also_site && *id != site_id;
      learn_outcome o = learn_outcome::learnt;
      std::optional<lesson> before;
      if (auto p = pending.find({*id, it.message}); p != pending.end()) {
        before = p->second;
      } else {
        auto r = find(c, *id, it.message);
        if (!r) return r.error();
        before = std::move(*r);
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
      auto r = c.query(
          "INSERT INTO spam_learnt(owner, message, spam, site, tokens, learnt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
          "ON CONFLICT(owner, message) DO UPDATE SET spam = excluded.spam, site = excluded.site, "
          "tokens = excluded.tokens, learnt_at = excluded.learnt_at",
          *id, it.message, it.spam ? 1 : 0, site ? 1 : 0, pack(it.tokens), static_cast<std::int64_t>(std::time(nullptr)));
      if (!r) return r.error();
      out.push_back(o);
    }
    if (auto a = apply(c, d); !a) return a.error();
    if (auto cm = tx->commit(); !cm) return cm.error();
    return out;
  }

  result<bool> unlearn(std::string_view owner, std::string_view message) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto tx = sql::transaction::begin(c);
    if (!tx) return tx.error();
    auto id = owner_id(c, owner, false);
    if (!id) return id.error();
    if (*id == 0) return false;
    auto l = find(c, *id, message);
    if (!l) return l.error();
    if (!*l) return false;
    deltas d;
    const auto& [spam, site, toks] = **l;
    d.add(*id, toks, spam, -1);
    if (site) d.add(site_id, toks, spam, -1);
    if (auto r = c.query("DELETE FROM spam_learnt WHERE owner = ?1 AND message = ?2", *id, message); !r)
      return r.error();
    if (auto a = apply(c, d); !a) return a.error();
    if (auto cm = tx->commit(); !cm) return cm.error();
    return true;
  }

  result<std::uint64_t> forget(std::string_view owner) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto tx = sql::transaction::begin(c);
    if (!tx) return tx.error();
    auto id = owner_id(c, owner, false);
    if (!id) return id.error();
    if (*id == 0) return std::uint64_t{0};
    // The user's share of the site-wide counts goes first (their records say what it was).
    deltas d;
    {
      auto sel = c.query("SELECT spam, tokens FROM spam_learnt WHERE owner = ?1 AND site = 1", *id);
      if (!sel) return sel.error();
      for (int i = 0; i < sel->size(); ++i) d.add(site_id, unpack(sel->bytes(i, 1)), sel->int64(i, 0) != 0, -1);
    }
    if (auto a = apply(c, d); !a) return a.error();
    if (*id == site_id) {
      // The site-wide database goes whole, users' shares included: their records no longer
      // count there.
      if (auto un = c.exec("UPDATE spam_learnt SET site = 0 WHERE site = 1"); !un) return un.error();
    }
    auto gone = c.query("DELETE FROM spam_learnt WHERE owner = ?1", *id);
    if (!gone) return gone.error();
    for (std::string_view q : {"DELETE FROM spam_tokens WHERE owner = ?1", "UPDATE spam_owners SET spam = 0, ham = 0 WHERE id = ?1"})
      if (auto r = c.query(q, *id); !r) return r.error();
    if (auto cm = tx->commit(); !cm) return cm.error();
    return static_cast<std::uint64_t>(gone->affected());
  }

  result<owner_stats> stats(std::string_view owner) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    owner_stats s;
    s.owner = std::string(owner);
    auto r = (*c)->query(
        "SELECT spam, ham, (SELECT count(*) FROM spam_tokens t WHERE t.owner = o.id) FROM spam_owners o WHERE name = ?1",
        owner);
    if (!r) return r.error();
    if (!r->empty()) {
      s.messages = {static_cast<std::uint64_t>(r->int64(0, 0)), static_cast<std::uint64_t>(r->int64(0, 1))};
      s.tokens = static_cast<std::uint64_t>(r->int64(0, 2));
    }
    return s;
  }

  result<std::vector<std::string>> owners() override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto r = (*c)->query("SELECT name FROM spam_owners ORDER BY name");
    if (!r) return r.error();
    std::vector<std::string> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(r->text(i, 0));
    return out;
  }

  result<int> learnt_as(std::string_view owner, std::string_view message) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto r = (*c)->query(
        "SELECT l.spam FROM spam_learnt l JOIN spam_owners o ON o.id = l.owner WHERE o.name = ?1 AND l.message = ?2",
        owner, message);
    if (!r) return r.error();
    if (r->empty()) return 0;
    return r->int64(0, 0) != 0 ? 1 : 2;
  }

 private:
  static result<std::optional<lesson>> find(sql::connection& c, std::int64_t owner, std::string_view message) {
    auto r = c.query("SELECT spam, site, tokens FROM spam_learnt WHERE owner = ?1 AND message = ?2", owner, message);
    if (!r) return r.error();
    if (r->empty()) return std::optional<lesson>();
    return std::optional<lesson>(lesson{r->int64(0, 0) != 0, r->int64(0, 1) != 0, unpack(r->bytes(0, 2))});
  }

  // The owner's row id; 0 when it has none and `create` is false. Creating runs inside the
  // caller's write transaction.
  static result<std::int64_t> owner_id(sql::connection& c, std::string_view owner, bool create) {
    if (owner.empty()) return site_id;
    auto id = c.query_int("SELECT id FROM spam_owners WHERE name = ?1", owner);
    if (!id) return id.error();
    if (*id) return **id;
    if (!create) return std::int64_t{0};
    // The id is chosen here, not by the engine: the migration inserts the site's row with id
    // 1 by hand, which PostgreSQL's identity sequence does not see (it would hand out 1 again).
    // Transactions are serialized, so MAX + 1 cannot race.
    auto made = c.query_int("INSERT INTO spam_owners(id, name) SELECT COALESCE(MAX(id), 0) + 1, ?1 FROM spam_owners "
                            "RETURNING id",
                            owner);
    if (!made) return made.error();
    if (!*made) return fail("db.error", "no id returned for a new spam filter owner");
    return **made;
  }

  // Counts never go below zero (a lesson unlearnt after its counts were reset by forget()).
  static result<void> apply(sql::connection& c, const deltas& d) {
    for (const auto& [k, v] : d.tokens) {
      if (v.first == 0 && v.second == 0) continue;
      const auto token = static_cast<std::int64_t>(k.second);
      auto r = c.query(
          "INSERT INTO spam_tokens(owner, token, spam, ham) VALUES (?1, ?2, CASE WHEN ?3 > 0 THEN ?3 ELSE 0 END, "
          "CASE WHEN ?4 > 0 THEN ?4 ELSE 0 END) ON CONFLICT(owner, token) DO UPDATE SET "
          "spam = CASE WHEN spam_tokens.spam + ?3 > 0 THEN spam_tokens.spam + ?3 ELSE 0 END, "
          "ham = CASE WHEN spam_tokens.ham + ?4 > 0 THEN spam_tokens.ham + ?4 ELSE 0 END",
          k.first, token, v.first, v.second);
      if (!r) return r.error();
      if (v.first < 0 || v.second < 0) {
        auto g = c.query("DELETE FROM spam_tokens WHERE owner = ?1 AND token = ?2 AND spam = 0 AND ham = 0", k.first, token);
        if (!g) return g.error();
      }
    }
    for (const auto& [o, v] : d.totals) {
      auto r = c.query(
          "UPDATE spam_owners SET spam = CASE WHEN spam + ?2 > 0 THEN spam + ?2 ELSE 0 END, "
          "ham = CASE WHEN ham + ?3 > 0 THEN ham + ?3 ELSE 0 END WHERE id = ?1",
          o, v.first, v.second);
      if (!r) return r.error();
    }
    return {};
  }

  std::unique_ptr<sql::database> db_;
  const std::string lookup_sql_;
};

}  // namespace

result<std::unique_ptr<token_store>> open_token_store(const std::string& target) {
  auto d = sql::open_migrated(target, "spam", migrations);
  if (!d) return d.error();
  return std::unique_ptr<token_store>(std::make_unique<sql_token_store>(std::move(*d)));
}

}  // namespace hearth::mail::filter::bayes
