// filter::decision_store on core/sql (SQLite: DATA_DIR/decisions.db; or PostgreSQL).
#include <algorithm>
#include <climits>
#include <map>

#include "core/sql/pipeline.hpp"
#include "core/sql/sql.hpp"
#include "core/util/strings.hpp"
#include "mail/filter/decision_store.hpp"

namespace hearth::mail::filter {
namespace {

// Recipients sit in a table of their own so that "everything for bob@" is an index lookup,
// not a scan of every record. Never edit a released migration: add the next one.
constexpr sql::migration migrations[] = {
    {1, "decisions about incoming mail", R"sql(
CREATE TABLE decisions(
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  session TEXT NOT NULL, txn TEXT NOT NULL,
  ip TEXT NOT NULL, helo TEXT NOT NULL, sender TEXT NOT NULL,
  stage TEXT NOT NULL, outcome TEXT NOT NULL, filter TEXT NOT NULL, reply TEXT NOT NULL,
  score REAL NOT NULL, symbols TEXT NOT NULL, dnsbl TEXT NOT NULL, greylist TEXT NOT NULL, spam TEXT NOT NULL
);
CREATE INDEX decisions_time ON decisions(time);
CREATE INDEX decisions_ip ON decisions(ip, seq);
CREATE INDEX decisions_sender ON decisions(sender, seq);
CREATE TABLE decision_rcpts(
  seq INTEGER NOT NULL REFERENCES decisions(seq) ON DELETE CASCADE,
  rcpt TEXT NOT NULL,
  PRIMARY KEY(rcpt, seq)
) WITHOUT ROWID;
CREATE INDEX decision_rcpts_seq ON decision_rcpts(seq);
)sql"},
};

// Records whose recipients one query reads: well under both engines' limit on parameters.
constexpr std::size_t rcpt_batch = 200;

std::string cut(const std::string& s) { return s.size() > max_decision_field ? s.substr(0, max_decision_field) : s; }

class sql_decision_store final : public decision_store {
 public:
  explicit sql_decision_store(std::unique_ptr<sql::database> d) : db_(std::move(d)) {}

  result<void> add(const std::vector<smtp::inbound_decision>& batch) override {
    if (batch.empty()) return {};
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto tx = sql::transaction::begin(c);
    if (!tx) return tx.error();
    for (const auto& d : batch) {
      auto seq = c.query_int(
          "INSERT INTO decisions(time, session, txn, ip, helo, sender, stage, outcome, filter, reply, score, symbols, "
          "dnsbl, greylist, spam) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING seq",
          d.time, cut(d.session), cut(d.id), cut(d.ip), cut(d.helo), cut(util::to_lower(d.from)), cut(d.stage),
          cut(d.outcome), cut(d.filter), cut(d.reply), d.score, cut(d.symbols), cut(d.dnsbl), cut(d.greylist),
          cut(d.spam));
      if (!seq) return seq.error();
      if (!*seq) return fail("db.error", "no seq returned for a new decision");
      std::size_t n = 0;
      for (const auto& r : d.rcpts) {
        if (++n > max_decision_rcpts) break;
        // Queued: on PostgreSQL it travels with the next decision's INSERT or the COMMIT.
        auto ins = sql::queue(c, "INSERT INTO decision_rcpts(seq, rcpt) VALUES(?1, ?2) ON CONFLICT DO NOTHING", **seq,
                           cut(util::to_lower(r)));
        if (!ins) return ins.error();
      }
    }
    return tx->commit();
  }

  result<std::vector<stored_decision>> search(const decision_query& q) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    const std::int64_t before = q.before > 0 ? q.before : INT64_MAX;
    const std::int64_t limit = static_cast<std::int64_t>(std::clamp<std::size_t>(q.limit, 1, 1000));
    const std::string addr = util::to_lower(q.address);
    // One query per shape, each served by its index (newest first by seq). Placeholders are
    // numbered in the order they are given: PostgreSQL wants a type for every number used.
    std::vector<sql::value> params{before};
    std::string where = "d.time < ?1";
    if (!q.ip.empty()) {
      params.push_back(std::string_view(q.ip));
      where += " AND d.ip = ?" + std::to_string(params.size());
    }
    if (!addr.empty()) {
      params.push_back(std::string_view(addr));
      const std::string n = std::to_string(params.size());
      where += " AND (d.sender = ?" + n + " OR d.seq IN (SELECT seq FROM decision_rcpts WHERE rcpt = ?" + n + "))";
    }
    params.push_back(limit);
    auto r = c.run(
        "SELECT d.seq, d.time, d.session, d.txn, d.ip, d.helo, d.sender, d.stage, d.outcome, d.filter, d.reply, "
        "d.score, d.symbols, d.dnsbl, d.greylist, d.spam FROM decisions d WHERE " + where +
            " ORDER BY d.seq DESC LIMIT ?" + std::to_string(params.size()),
        params);
    if (!r) return r.error();
    std::vector<stored_decision> out;
    for (int i = 0; i < r->size(); ++i) {
      stored_decision d;
      d.seq = r->int64(i, 0);
      d.time = r->int64(i, 1);
      d.session = r->text(i, 2);
      d.id = r->text(i, 3);
      d.ip = r->text(i, 4);
      d.helo = r->text(i, 5);
      d.from = r->text(i, 6);
      d.stage = r->text(i, 7);
      d.outcome = r->text(i, 8);
      d.filter = r->text(i, 9);
      d.reply = r->text(i, 10);
      d.score = r->real(i, 11);
      d.symbols = r->text(i, 12);
      d.dnsbl = r->text(i, 13);
      d.greylist = r->text(i, 14);
      d.spam = r->text(i, 15);
      out.push_back(std::move(d));
    }
    if (auto x = add_rcpts(c, out); !x) return x.error();
    return out;
  }

  result<std::size_t> prune(std::int64_t older_than, std::size_t keep_at_most) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto tx = sql::transaction::begin(c);
    if (!tx) return tx.error();
    auto old = c.query("DELETE FROM decisions WHERE time < ?1", older_than);
    if (!old) return old.error();
    auto over = c.query("DELETE FROM decisions WHERE seq <= (SELECT seq FROM decisions ORDER BY seq DESC LIMIT 1 OFFSET ?1)",
                        static_cast<std::int64_t>(keep_at_most));
    if (!over) return over.error();
    if (auto x = tx->commit(); !x) return x.error();
    return static_cast<std::size_t>(old->affected() + over->affected());
  }

 private:
  // Each record's recipients, in byte order, read for a batch of records at a time.
  static result<void> add_rcpts(sql::connection& c, std::vector<stored_decision>& out) {
    for (std::size_t from = 0; from < out.size(); from += rcpt_batch) {
      const std::size_t to = std::min(out.size(), from + rcpt_batch);
      std::vector<sql::value> params;
      std::map<std::int64_t, std::size_t> index;
      std::string in;
      for (std::size_t i = from; i < to; ++i) {
        params.push_back(out[i].seq);
        index[out[i].seq] = i;
      }
      // Always rcpt_batch placeholders (the last seq repeated): one statement text, so the
      // connection prepares it once instead of once per result size.
      while (params.size() < rcpt_batch) params.push_back(out[to - 1].seq);
      for (std::size_t i = 1; i <= params.size(); ++i) in += (i == 1 ? "?" : ", ?") + std::to_string(i);
      auto r = c.run("SELECT seq, rcpt FROM decision_rcpts WHERE seq IN (" + in + ") ORDER BY seq, rcpt", params);
      if (!r) return r.error();
      for (int i = 0; i < r->size(); ++i)
        if (auto it = index.find(r->int64(i, 0)); it != index.end()) out[it->second].rcpts.push_back(r->text(i, 1));
    }
    return {};
  }

  std::unique_ptr<sql::database> db_;
};

}  // namespace

result<std::unique_ptr<decision_store>> open_decision_store(const std::string& target) {
  auto d = sql::open_migrated(target, "decisions", migrations);
  if (!d) return d.error();
  return std::unique_ptr<decision_store>(std::make_unique<sql_decision_store>(std::move(*d)));
}

}  // namespace hearth::mail::filter
