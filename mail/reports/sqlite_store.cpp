// The SQLite implementation of reports::store, in its own file DATA_DIR/reports.db (copied by
// backups like every top-level *.db): reports are not part of any account, and a busy day of
// received reports should not contend with mail delivery for hearth.db's write lock.
#include "core/db/db.hpp"
#include "mail/reports/store.hpp"

namespace hearth::mail::reports {
namespace {

constexpr db::migration migrations[] = {
    {1, "received DMARC and TLS-RPT reports; DMARC evaluations and TLS sessions to report", R"sql(
CREATE TABLE dmarc_reports(
  id INTEGER PRIMARY KEY,
  org TEXT NOT NULL,
  report_id TEXT NOT NULL,
  email TEXT NOT NULL,
  domain TEXT NOT NULL,
  policy TEXT NOT NULL,
  begin_time INTEGER NOT NULL,
  end_time INTEGER NOT NULL,
  received INTEGER NOT NULL,
  UNIQUE(org, report_id)
);
CREATE INDEX dmarc_reports_domain ON dmarc_reports(domain, end_time);
CREATE TABLE dmarc_rows(
  report INTEGER NOT NULL REFERENCES dmarc_reports(id) ON DELETE CASCADE,
  source_ip TEXT NOT NULL,
  count INTEGER NOT NULL,
  disposition TEXT NOT NULL,
  dkim TEXT NOT NULL,
  spf TEXT NOT NULL,
  header_from TEXT NOT NULL,
  envelope_from TEXT NOT NULL,
  dkim_domains TEXT NOT NULL,
  spf_domains TEXT NOT NULL
);
CREATE INDEX dmarc_rows_report ON dmarc_rows(report);
CREATE TABLE tls_reports(
  id INTEGER PRIMARY KEY,
  org TEXT NOT NULL,
  report_id TEXT NOT NULL,
  contact TEXT NOT NULL,
  begin_time INTEGER NOT NULL,
  end_time INTEGER NOT NULL,
  received INTEGER NOT NULL,
  UNIQUE(org, report_id)
);
CREATE TABLE tls_policies(
  id INTEGER PRIMARY KEY,
  report INTEGER NOT NULL REFERENCES tls_reports(id) ON DELETE CASCADE,
  domain TEXT NOT NULL,
  type TEXT NOT NULL,
  success INTEGER NOT NULL,
  failure INTEGER NOT NULL
);
CREATE INDEX tls_policies_report ON tls_policies(report);
CREATE TABLE tls_failures(
  policy INTEGER NOT NULL REFERENCES tls_policies(id) ON DELETE CASCADE,
  result_type TEXT NOT NULL,
  sending_ip TEXT NOT NULL,
  receiving_mx TEXT NOT NULL,
  receiving_ip TEXT NOT NULL,
  count INTEGER NOT NULL
);
CREATE INDEX tls_failures_policy ON tls_failures(policy);
CREATE TABLE dmarc_evaluations(
  time INTEGER NOT NULL,
  source_ip TEXT NOT NULL,
  header_from TEXT NOT NULL,
  envelope_from TEXT NOT NULL,
  policy_domain TEXT NOT NULL,
  p TEXT NOT NULL,
  sp TEXT NOT NULL,
  adkim TEXT NOT NULL,
  aspf TEXT NOT NULL,
  pct INTEGER NOT NULL,
  rua TEXT NOT NULL,
  disposition TEXT NOT NULL,
  dkim TEXT NOT NULL,
  spf TEXT NOT NULL,
  dkim_results TEXT NOT NULL,
  spf_domain TEXT NOT NULL,
  spf_result TEXT NOT NULL
);
CREATE INDEX dmarc_evaluations_time ON dmarc_evaluations(time);
CREATE TABLE tls_sessions(
  time INTEGER NOT NULL,
  policy_domain TEXT NOT NULL,
  policy_type TEXT NOT NULL,
  result_type TEXT NOT NULL,
  sending_ip TEXT NOT NULL,
  receiving_mx TEXT NOT NULL,
  receiving_ip TEXT NOT NULL,
  rua TEXT NOT NULL
);
CREATE INDEX tls_sessions_time ON tls_sessions(time);
)sql"},
    {2, "TLS sessions keep the policy they were held to and why they failed (RFC 8460 section 4.4)", R"sql(
ALTER TABLE tls_sessions ADD COLUMN policy_string TEXT NOT NULL DEFAULT '';
ALTER TABLE tls_sessions ADD COLUMN mx_host TEXT NOT NULL DEFAULT '';
ALTER TABLE tls_sessions ADD COLUMN failure_reason TEXT NOT NULL DEFAULT '';
)sql"},
};

// Lists of lines kept in one column: policy lines and MX patterns never contain a newline
// (the parsers split on them).
std::string join_lines(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : "\n") + x;
  return s;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto nl = s.find('\n', i);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(i, nl - i));
    i = nl + 1;
  }
  return out;
}

class sqlite_store final : public store {
 public:
  explicit sqlite_store(db::database d) : db_(std::move(d)) {}

  result<bool> add_dmarc(const dmarc_report& r, std::int64_t received) override {
    auto& c = db_.get();
    auto tx = db::transaction::begin(c, db::durability::normal);
    if (!tx) return tx.error();
    auto ins = c.prepare(
        "INSERT OR IGNORE INTO dmarc_reports(org, report_id, email, domain, policy, begin_time, end_time, received) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!ins) return ins.error();
    ins->bind_all(r.org, r.report_id, r.email, r.domain, r.policy, r.begin, r.end, received);
    if (auto x = ins->run(); !x) return x.error();
    if (c.changes() == 0) return false;
    auto id = c.last_insert_rowid();
    auto row = c.prepare(
        "INSERT INTO dmarc_rows(report, source_ip, count, disposition, dkim, spf, header_from, envelope_from, "
        "dkim_domains, spf_domains) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (!row) return row.error();
    for (const auto& d : r.rows) {
      row->bind_all(id, d.source_ip, static_cast<std::int64_t>(d.count), d.disposition, d.dkim, d.spf, d.header_from,
                    d.envelope_from, d.dkim_domains, d.spf_domains);
      if (auto x = row->run(); !x) return x.error();
      row->reset();
    }
    if (auto x = tx->commit(); !x) return x.error();
    return true;
  }

  result<bool> add_tls(const tls_report& r, std::int64_t received) override {
    auto& c = db_.get();
    auto tx = db::transaction::begin(c, db::durability::normal);
    if (!tx) return tx.error();
    auto ins = c.prepare(
        "INSERT OR IGNORE INTO tls_reports(org, report_id, contact, begin_time, end_time, received) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    if (!ins) return ins.error();
    ins->bind_all(r.org, r.report_id, r.contact, r.begin, r.end, received);
    if (auto x = ins->run(); !x) return x.error();
    if (c.changes() == 0) return false;
    auto id = c.last_insert_rowid();
    for (const auto& p : r.policies) {
      auto pol = c.prepare("INSERT INTO tls_policies(report, domain, type, success, failure) VALUES(?1, ?2, ?3, ?4, ?5)");
      if (!pol) return pol.error();
      pol->bind_all(id, p.domain, p.type, static_cast<std::int64_t>(p.success), static_cast<std::int64_t>(p.failure));
      if (auto x = pol->run(); !x) return x.error();
      auto pid = c.last_insert_rowid();
      auto f = c.prepare(
          "INSERT INTO tls_failures(policy, result_type, sending_ip, receiving_mx, receiving_ip, count) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
      if (!f) return f.error();
      for (const auto& x : p.failures) {
        f->bind_all(pid, x.result_type, x.sending_ip, x.receiving_mx, x.receiving_ip, static_cast<std::int64_t>(x.count));
        if (auto y = f->run(); !y) return y.error();
        f->reset();
      }
    }
    if (auto x = tx->commit(); !x) return x.error();
    return true;
  }

  result<std::vector<stored_dmarc_row>> dmarc_rows(const query& q) override {
    auto& c = db_.get();
    auto st = c.prepare(
        "SELECT r.org, r.report_id, r.domain, r.begin_time, r.end_time, w.source_ip, w.count, w.disposition, w.dkim, "
        "w.spf, w.header_from, w.envelope_from, w.dkim_domains, w.spf_domains FROM dmarc_reports r "
        "JOIN dmarc_rows w ON w.report = r.id WHERE (?1 = '' OR r.domain = ?1) AND r.end_time >= ?2 "
        "ORDER BY r.begin_time, r.id, w.rowid");
    if (!st) return st.error();
    st->bind_all(q.domain, q.since);
    std::vector<stored_dmarc_row> out;
    for (;;) {
      auto more = st->step();
      if (!more) return more.error();
      if (!*more) break;
      stored_dmarc_row d;
      d.org = st->column_text(0);
      d.report_id = st->column_text(1);
      d.domain = st->column_text(2);
      d.begin = st->column_int64(3);
      d.end = st->column_int64(4);
      d.source_ip = st->column_text(5);
      d.count = static_cast<std::uint64_t>(st->column_int64(6));
      d.disposition = st->column_text(7);
      d.dkim = st->column_text(8);
      d.spf = st->column_text(9);
      d.header_from = st->column_text(10);
      d.envelope_from = st->column_text(11);
      d.dkim_domains = st->column_text(12);
      d.spf_domains = st->column_text(13);
      out.push_back(std::move(d));
    }
    return out;
  }

  result<std::vector<stored_tls_policy>> tls_policies(const query& q) override {
    auto& c = db_.get();
    auto st = c.prepare(
        "SELECT r.org, r.report_id, r.begin_time, r.end_time, p.id, p.domain, p.type, p.success, p.failure "
        "FROM tls_reports r JOIN tls_policies p ON p.report = r.id WHERE (?1 = '' OR p.domain = ?1) "
        "AND r.end_time >= ?2 ORDER BY r.begin_time, r.id, p.id");
    if (!st) return st.error();
    st->bind_all(q.domain, q.since);
    std::vector<stored_tls_policy> out;
    std::vector<std::int64_t> ids;
    for (;;) {
      auto more = st->step();
      if (!more) return more.error();
      if (!*more) break;
      stored_tls_policy p;
      p.org = st->column_text(0);
      p.report_id = st->column_text(1);
      p.begin = st->column_int64(2);
      p.end = st->column_int64(3);
      ids.push_back(st->column_int64(4));
      p.domain = st->column_text(5);
      p.type = st->column_text(6);
      p.success = static_cast<std::uint64_t>(st->column_int64(7));
      p.failure = static_cast<std::uint64_t>(st->column_int64(8));
      out.push_back(std::move(p));
    }
    st->reset();
    auto f = c.prepare(
        "SELECT result_type, sending_ip, receiving_mx, receiving_ip, count FROM tls_failures WHERE policy = ?1 "
        "ORDER BY rowid");
    if (!f) return f.error();
    for (std::size_t i = 0; i < out.size(); ++i) {
      f->bind_all(ids[i]);
      for (;;) {
        auto more = f->step();
        if (!more) return more.error();
        if (!*more) break;
        out[i].failures.push_back({f->column_text(0), f->column_text(1), f->column_text(2), f->column_text(3),
                                   static_cast<std::uint64_t>(f->column_int64(4))});
      }
      f->reset();
    }
    return out;
  }

  result<void> record_dmarc(const dmarc_evaluation& e) override {
    auto& c = db_.get();
    auto st = c.prepare(
        "INSERT INTO dmarc_evaluations(time, source_ip, header_from, envelope_from, policy_domain, p, sp, adkim, aspf, "
        "pct, rua, disposition, dkim, spf, dkim_results, spf_domain, spf_result) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)");
    if (!st) return st.error();
    st->bind_all(e.time, e.source_ip, e.header_from, e.envelope_from, e.policy_domain, e.p, e.sp, e.adkim, e.aspf, e.pct,
                 e.rua, e.disposition, e.dkim, e.spf, e.dkim_results, e.spf_domain, e.spf_result);
    return st->run();
  }

  result<void> record_tls(const tls_session& s) override { return record_tls_sessions({s}); }

  result<void> record_tls_sessions(const std::vector<tls_session>& batch) override {
    auto& c = db_.get();
    // durability::normal: statistics, not acknowledged mail; no fsync per batch.
    auto tx = db::transaction::begin(c, db::durability::normal);
    if (!tx) return tx.error();
    auto st = c.prepare(
        "INSERT INTO tls_sessions(time, policy_domain, policy_type, result_type, sending_ip, receiving_mx, "
        "receiving_ip, rua, policy_string, mx_host, failure_reason) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    if (!st) return st.error();
    for (const auto& s : batch) {
      st->bind_all(s.time, s.policy_domain, s.policy_type, s.result_type, s.sending_ip, s.receiving_mx, s.receiving_ip,
                   s.rua, join_lines(s.policy_string), join_lines(s.mx_host), s.failure_reason);
      if (auto x = st->run(); !x) return x.error();
      st->reset();
    }
    return tx->commit();
  }

  result<std::vector<dmarc_evaluation>> dmarc_evaluations(std::int64_t end) override {
    auto& c = db_.get();
    auto st = c.prepare(
        "SELECT time, source_ip, header_from, envelope_from, policy_domain, p, sp, adkim, aspf, pct, rua, disposition, "
        "dkim, spf, dkim_results, spf_domain, spf_result FROM dmarc_evaluations WHERE time < ?1 ORDER BY time, rowid");
    if (!st) return st.error();
    st->bind_all(end);
    std::vector<dmarc_evaluation> out;
    for (;;) {
      auto more = st->step();
      if (!more) return more.error();
      if (!*more) break;
      dmarc_evaluation e;
      e.time = st->column_int64(0);
      e.source_ip = st->column_text(1);
      e.header_from = st->column_text(2);
      e.envelope_from = st->column_text(3);
      e.policy_domain = st->column_text(4);
      e.p = st->column_text(5);
      e.sp = st->column_text(6);
      e.adkim = st->column_text(7);
      e.aspf = st->column_text(8);
      e.pct = static_cast<int>(st->column_int64(9));
      e.rua = st->column_text(10);
      e.disposition = st->column_text(11);
      e.dkim = st->column_text(12);
      e.spf = st->column_text(13);
      e.dkim_results = st->column_text(14);
      e.spf_domain = st->column_text(15);
      e.spf_result = st->column_text(16);
      out.push_back(std::move(e));
    }
    return out;
  }

  result<std::vector<tls_session>> tls_sessions(std::int64_t end) override {
    auto& c = db_.get();
    auto st = c.prepare(
        "SELECT time, policy_domain, policy_type, result_type, sending_ip, receiving_mx, receiving_ip, rua, "
        "policy_string, mx_host, failure_reason FROM tls_sessions WHERE time < ?1 ORDER BY time, rowid");
    if (!st) return st.error();
    st->bind_all(end);
    std::vector<tls_session> out;
    for (;;) {
      auto more = st->step();
      if (!more) return more.error();
      if (!*more) break;
      tls_session s;
      s.time = st->column_int64(0);
      s.policy_domain = st->column_text(1);
      s.policy_type = st->column_text(2);
      s.result_type = st->column_text(3);
      s.sending_ip = st->column_text(4);
      s.receiving_mx = st->column_text(5);
      s.receiving_ip = st->column_text(6);
      s.rua = st->column_text(7);
      s.policy_string = split_lines(st->column_text(8));
      s.mx_host = split_lines(st->column_text(9));
      s.failure_reason = st->column_text(10);
      out.push_back(std::move(s));
    }
    return out;
  }

  result<void> forget_before(std::int64_t end) override {
    auto& c = db_.get();
    auto tx = db::transaction::begin(c, db::durability::normal);
    if (!tx) return tx.error();
    for (auto sql : {"DELETE FROM dmarc_evaluations WHERE time < ?1", "DELETE FROM tls_sessions WHERE time < ?1"}) {
      auto st = c.prepare(sql);
      if (!st) return st.error();
      st->bind_all(end);
      if (auto x = st->run(); !x) return x.error();
    }
    return tx->commit();
  }

 private:
  db::database db_;
};

}  // namespace

result<std::unique_ptr<store>> open_store(const std::filesystem::path& file) {
  auto d = db::database::open(file);
  if (!d) return d.error();
  auto v = db::migrate(d->get(), "reports", migrations);
  if (!v) return v.error();
  return std::unique_ptr<store>(std::make_unique<sqlite_store>(std::move(*d)));
}

}  // namespace hearth::mail::reports
