// The SQLite implementation of filter::decision_store (DATA_DIR/decisions.db).
#include <algorithm>
#include <cstdio>

#include "core/db/db.hpp"
#include "core/util/strings.hpp"
#include "mail/filter/decision_store.hpp"

namespace hearth::mail::filter {
namespace {

// Recipients sit in a table of their own so that "everything for bob@" is an index lookup,
// not a scan of every record.
constexpr db::migration migrations[] = {
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

std::string cut(const std::string& s) { return s.size() > max_decision_field ? s.substr(0, max_decision_field) : s; }

class sqlite_decision_store final : public decision_store {
 public:
  explicit sqlite_decision_store(db::database d) : db_(std::move(d)) {}

  result<void> add(const std::vector<smtp::inbound_decision>& batch) override {
    if (batch.empty()) return {};
    auto& c = db_.get();
    auto tx = db::transaction::begin(c);
    if (!tx) return tx.error();
    for (const auto& d : batch) {
      auto st = c.prepare(
          "INSERT INTO decisions(time, session, txn, ip, helo, sender, stage, outcome, filter, reply, score, symbols, "
          "dnsbl, greylist, spam) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
      if (!st) return st.error();
      st->bind_all(d.time, cut(d.session), cut(d.id), cut(d.ip), cut(d.helo), cut(util::to_lower(d.from)), cut(d.stage),
                   cut(d.outcome), cut(d.filter), cut(d.reply), d.score, cut(d.symbols), cut(d.dnsbl), cut(d.greylist),
                   cut(d.spam));
      if (auto r = st->run(); !r) return r.error();
      const std::int64_t seq = c.last_insert_rowid();
      std::size_t n = 0;
      for (const auto& r : d.rcpts) {
        if (++n > max_decision_rcpts) break;
        auto ins = c.prepare("INSERT OR IGNORE INTO decision_rcpts(seq, rcpt) VALUES(?1, ?2)");
        if (!ins) return ins.error();
        ins->bind_all(seq, cut(util::to_lower(r)));
        if (auto x = ins->run(); !x) return x.error();
      }
    }
    return tx->commit();
  }

  result<std::vector<stored_decision>> search(const decision_query& q) override {
    auto& c = db_.get();
    const std::int64_t before = q.before > 0 ? q.before : INT64_MAX;
    const std::int64_t limit = static_cast<std::int64_t>(std::clamp<std::size_t>(q.limit, 1, 1000));
    const std::string addr = util::to_lower(q.address);
    // One query per shape, each served by its index (newest first by seq).
    std::string where = "d.time < ?1";
    if (!q.ip.empty()) where += " AND d.ip = ?2";
    if (!addr.empty())
      where += " AND (d.sender = ?3 OR d.seq IN (SELECT seq FROM decision_rcpts WHERE rcpt = ?3))";
    auto st = c.prepare(
        "SELECT d.seq, d.time, d.session, d.txn, d.ip, d.helo, d.sender, d.stage, d.outcome, d.filter, d.reply, d.score, "
        "d.symbols, d.dnsbl, d.greylist, d.spam, (SELECT group_concat(rcpt, ' ') FROM decision_rcpts r WHERE r.seq = d.seq) "
        "FROM decisions d WHERE " + where + " ORDER BY d.seq DESC LIMIT ?4");
    if (!st) return st.error();
    st->bind(1, before);
    if (!q.ip.empty()) st->bind(2, q.ip);
    if (!addr.empty()) st->bind(3, addr);
    st->bind(4, limit);
    std::vector<stored_decision> out;
    for (;;) {
      auto row = st->step();
      if (!row) return row.error();
      if (!*row) break;
      stored_decision d;
      d.seq = st->column_int64(0);
      d.time = st->column_int64(1);
      d.session = st->column_text(2);
      d.id = st->column_text(3);
      d.ip = st->column_text(4);
      d.helo = st->column_text(5);
      d.from = st->column_text(6);
      d.stage = st->column_text(7);
      d.outcome = st->column_text(8);
      d.filter = st->column_text(9);
      d.reply = st->column_text(10);
      d.score = st->column_double(11);
      d.symbols = st->column_text(12);
      d.dnsbl = st->column_text(13);
      d.greylist = st->column_text(14);
      d.spam = st->column_text(15);
      const std::string rcpts = st->column_text(16);  // split() returns views into it
      for (const auto& r : util::split(rcpts, ' '))
        if (!r.empty()) d.rcpts.push_back(std::string(r));
      out.push_back(std::move(d));
    }
    return out;
  }

  result<std::size_t> prune(std::int64_t older_than, std::size_t keep_at_most) override {
    auto& c = db_.get();
    auto tx = db::transaction::begin(c);
    if (!tx) return tx.error();
    std::size_t gone = 0;
    auto old = c.prepare("DELETE FROM decisions WHERE time < ?1");
    if (!old) return old.error();
    old->bind(1, older_than);
    if (auto r = old->run(); !r) return r.error();
    gone += static_cast<std::size_t>(c.changes());
    auto over = c.prepare("DELETE FROM decisions WHERE seq <= (SELECT seq FROM decisions ORDER BY seq DESC LIMIT 1 OFFSET ?1)");
    if (!over) return over.error();
    over->bind(1, static_cast<std::int64_t>(keep_at_most));
    if (auto r = over->run(); !r) return r.error();
    gone += static_cast<std::size_t>(c.changes());
    if (auto r = tx->commit(); !r) return r.error();
    return gone;
  }

 private:
  db::database db_;
};

}  // namespace

result<std::unique_ptr<decision_store>> open_sqlite_decision_store(const std::filesystem::path& file) {
  auto d = db::database::open(file);
  if (!d) return d.error();
  auto v = db::migrate(d->get(), "decisions", migrations);
  if (!v) return v.error();
  return std::unique_ptr<decision_store>(std::make_unique<sqlite_decision_store>(std::move(*d)));
}

}  // namespace hearth::mail::filter
