// The token store (token_store.hpp) on core/sql. On SQLite in its own file beside the data
// directory's hearth.db (`spam.db`): training writes thousands of rows at a time, and keeping
// them apart keeps them off the mail store's write lock. On PostgreSQL, wherever the URL says.
#include <array>
#include <ctime>
#include <algorithm>
#include <map>
#include <unordered_map>

#include "core/sql/sql.hpp"
#include "mail/filter/bayes/token_store.hpp"

namespace hearth::mail::filter::bayes {
namespace {

constexpr std::array<sql::migration, 1> migrations{{
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

// Tokens looked up per statement: one statement text (padded with repeats of the last token),
// so it is prepared once per connection; a message's few hundred tokens cost a few statements
// instead of one per token (on PostgreSQL, one round trip each).
constexpr std::size_t lookup_chunk = 128;

std::string lookup_sql() {
  std::string q = "SELECT token, spam, ham FROM spam_tokens WHERE owner IN (?1, ?2) AND token IN (";
  for (std::size_t i = 0; i < lookup_chunk; ++i) q += (i ? ", ?" : "?") + std::to_string(i + 3);
  return q + ")";
}

std::uint64_t non_negative(std::int64_t v) { return static_cast<std::uint64_t>(std::max<std::int64_t>(0, v)); }

class sql_token_store final : public token_store {
 public:
  explicit sql_token_store(std::unique_ptr<sql::database> d) : db_(std::move(d)), lookup_sql_(lookup_sql()) {}

  result<counts> totals(std::string_view owner) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto r = (*c)->query("SELECT CAST(COALESCE(sum(spam), 0) AS BIGINT), CAST(COALESCE(sum(ham), 0) AS BIGINT) FROM spam_owners WHERE name = '' OR name = ?1",
                         owner);
    if (!r) return r.error();
    counts out;
    if (!r->empty()) out = {non_negative(r->int64(0, 0)), non_negative(r->int64(0, 1))};
    return out;
  }

  result<std::vector<counts>> lookup(std::string_view owner, const std::vector<std::uint64_t>& tokens) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto id = owner_id(**c, owner, false);
    if (!id) return id.error();
    std::vector<counts> out(tokens.size());
    if (tokens.empty()) return out;
    // Owner and site rows of each token, summed here. Autocommit reads, not one transaction:
    // a transaction would take the write lock, and a lesson landing between two chunks moves
    // a score by one message at most.
    const std::int64_t user = *id > 0 ? *id : site_id;
    // Each distinct token is asked once: a token in two chunks would be counted twice.
    std::unordered_map<std::uint64_t, counts> found;
    found.reserve(tokens.size());
    std::vector<std::uint64_t> distinct;
    distinct.reserve(tokens.size());
    for (auto t : tokens)
      if (found.try_emplace(t).second) distinct.push_back(t);
    std::vector<sql::value> params(lookup_chunk + 2);
    params[0] = site_id;
    params[1] = user;
    for (std::size_t at = 0; at < distinct.size(); at += lookup_chunk) {
      for (std::size_t i = 0; i < lookup_chunk; ++i)
        params[i + 2] = static_cast<std::int64_t>(distinct[std::min(at + i, distinct.size() - 1)]);
      auto r = (*c)->run(lookup_sql_, params);
      if (!r) return r.error();
      for (int row = 0; row < r->size(); ++row) {
        auto& f = found[static_cast<std::uint64_t>(r->int64(row, 0))];
        f.spam += non_negative(r->int64(row, 1));
        f.ham += non_negative(r->int64(row, 2));
      }
    }
    for (std::size_t i = 0; i < tokens.size(); ++i)
      if (auto f = found.find(tokens[i]); f != found.end()) out[i] = f->second;
    return out;
  }

  result<std::vector<learn_outcome>> learn(const std::vector<learn_item>& items) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto& conn = **c;
    auto tx = sql::transaction::begin(conn);
    if (!tx) return tx.error();
    deltas d;
    std::vector<learn_outcome> out;
    // Within one batch the same message may come twice (a move, then a keyword): the later
    // lesson wins, as it would one at a time.
    std::map<std::pair<std::int64_t, std::string>, std::tuple<bool, bool, std::vector<std::uint64_t>>> pending;
    for (const auto& it : items) {
      auto id = owner_id(conn, it.owner, true);
      if (!id) return id.error();
      const bool site = it.also_site && *id != site_id;
      learn_outcome o = learn_outcome::learnt;
      std::optional<std::tuple<bool, bool, std::vector<std::uint64_t>>> before;
      if (auto p = pending.find({*id, it.message}); p != pending.end()) {
        before = p->second;
      } else {
        auto r = conn.query("SELECT spam, site, tokens FROM spam_learnt WHERE owner = ?1 AND message = ?2", *id, it.message);
        if (!r) return r.error();
        if (!r->empty()) before = std::make_tuple(r->int64(0, 0) != 0, r->int64(0, 1) != 0, unpack(r->bytes(0, 2)));
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
      auto r = conn.query(
          "INSERT INTO spam_learnt(owner, message, spam, site, tokens, learnt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
          "ON CONFLICT(owner, message) DO UPDATE SET spam = excluded.spam, site = excluded.site, "
          "tokens = excluded.tokens, learnt_at = excluded.learnt_at",
          *id, it.message, it.spam ? 1 : 0, site ? 1 : 0, pack(it.tokens), static_cast<std::int64_t>(std::time(nullptr)));
      if (!r) return r.error();
      out.push_back(o);
    }
    auto a = apply(conn, d);
    if (!a) return a.error();
    auto cm = tx->commit();
    if (!cm) return cm.error();
    return out;
  }

  result<bool> unlearn(std::string_view owner, std::string_view message) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto& conn = **c;
    auto tx = sql::transaction::begin(conn);
    if (!tx) return tx.error();
    auto id = owner_id(conn, owner, false);
    if (!id) return id.error();
    if (*id == 0) return false;
    auto r = conn.query("SELECT spam, site, tokens FROM spam_learnt WHERE owner = ?1 AND message = ?2", *id, message);
    if (!r) return r.error();
    if (r->empty()) return false;
    deltas d;
    const bool spam = r->int64(0, 0) != 0, site = r->int64(0, 1) != 0;
    auto toks = unpack(r->bytes(0, 2));
    d.add(*id, toks, spam, -1);
    if (site) d.add(site_id, toks, spam, -1);
    auto dr = conn.query("DELETE FROM spam_learnt WHERE owner = ?1 AND message = ?2", *id, message);
    if (!dr) return dr.error();
    auto a = apply(conn, d);
    if (!a) return a.error();
    auto cm = tx->commit();
    if (!cm) return cm.error();
    return true;
  }

  result<std::uint64_t> forget(std::string_view owner) override {
    auto c = db_->try_get();
    if (!c) return c.error();
    auto& conn = **c;
    auto tx = sql::transaction::begin(conn);
    if (!tx) return tx.error();
    auto id = owner_id(conn, owner, false);
    if (!id) return id.error();
    if (*id == 0) return std::uint64_t{0};
    // The user's share of the site-wide counts goes first (their records say what it was).
    deltas d;
    {
      auto r = conn.query("SELECT spam, tokens FROM spam_learnt WHERE owner = ?1 AND site = 1", *id);
      if (!r) return r.error();
      for (int i = 0; i < r->size(); ++i) d.add(site_id, unpack(r->bytes(i, 1)), r->int64(i, 0) != 0, -1);
    }
    auto a = apply(conn, d);
    if (!a) return a.error();
    if (*id == site_id) {
      // The site-wide database goes whole, users' shares included: their records no longer
      // count there.
      auto un = conn.exec("UPDATE spam_learnt SET site = 0 WHERE site = 1");
      if (!un) return un.error();
    }
    auto del = conn.query("DELETE FROM spam_learnt WHERE owner = ?1", *id);
    if (!del) return del.error();
    const auto n = static_cast<std::uint64_t>(del->affected());
    for (std::string_view q : {"DELETE FROM spam_tokens WHERE owner = ?1", "UPDATE spam_owners SET spam = 0, ham = 0 WHERE id = ?1"}) {
      auto r = conn.query(q, *id);
      if (!r) return r.error();
    }
    auto cm = tx->commit();
    if (!cm) return cm.error();
    return n;
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
      s.messages = {non_negative(r->int64(0, 0)), non_negative(r->int64(0, 1))};
      s.tokens = non_negative(r->int64(0, 2));
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
        "SELECT l.spam FROM spam_learnt l JOIN spam_owners o ON o.id = l.owner WHERE o.name = ?1 AND l.message = ?2", owner,
        message);
    if (!r) return r.error();
    if (r->empty()) return 0;
    return r->int64(0, 0) != 0 ? 1 : 2;
  }

 private:
  // The owner's row id; 0 when it has none and `create` is false.
  result<std::int64_t> owner_id(sql::connection& c, std::string_view owner, bool create) {
    if (owner.empty()) return site_id;
    auto found = c.query_int("SELECT id FROM spam_owners WHERE name = ?1", owner);
    if (!found) return found.error();
    if (*found) return **found;
    if (!create) return std::int64_t{0};
    // The id is chosen here, not by the column: the first migration inserts the site's row
    // with id 1 explicitly, which PostgreSQL's identity sequence does not see. Callers hold
    // the write lock (learn's transaction), so two inserts cannot pick the same id.
    auto id = c.query_int(
        "INSERT INTO spam_owners(id, name) VALUES ((SELECT COALESCE(max(id), 0) + 1 FROM spam_owners), ?1) RETURNING id", owner);
    if (!id) return id.error();
    return id->value_or(0);
  }

  // No scalar max() on PostgreSQL: counts are kept at zero or above with CASE, and the
  // inserted values are clamped here.
  result<void> apply(sql::connection& c, const deltas& d) {
    for (const auto& [k, v] : d.tokens) {
      if (v.first == 0 && v.second == 0) continue;
      const auto token = static_cast<std::int64_t>(k.second);
      auto r = c.query(
          "INSERT INTO spam_tokens(owner, token, spam, ham) VALUES (?1, ?2, ?5, ?6) "
          "ON CONFLICT(owner, token) DO UPDATE SET "
          "spam = CASE WHEN spam_tokens.spam + ?3 < 0 THEN 0 ELSE spam_tokens.spam + ?3 END, "
          "ham = CASE WHEN spam_tokens.ham + ?4 < 0 THEN 0 ELSE spam_tokens.ham + ?4 END",
          k.first, token, v.first, v.second, std::max<std::int64_t>(v.first, 0), std::max<std::int64_t>(v.second, 0));
      if (!r) return r.error();
      if (v.first < 0 || v.second < 0) {
        auto g = c.query("DELETE FROM spam_tokens WHERE owner = ?1 AND token = ?2 AND spam = 0 AND ham = 0", k.first, token);
        if (!g) return g.error();
      }
    }
    for (const auto& [o, v] : d.totals) {
      auto r = c.query(
          "UPDATE spam_owners SET spam = CASE WHEN spam + ?2 < 0 THEN 0 ELSE spam + ?2 END, "
          "ham = CASE WHEN ham + ?3 < 0 THEN 0 ELSE ham + ?3 END WHERE id = ?1",
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
  auto d = sql::open(target);
  if (!d) return d.error();
  auto c = (*d)->try_get();
  if (!c) return c.error();
  auto v = sql::migrate(**c, "spam", migrations);
  if (!v) return v.error();
  return std::unique_ptr<token_store>(new sql_token_store(std::move(*d)));
}

}  // namespace hearth::mail::filter::bayes
