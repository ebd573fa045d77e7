// reports::store on core/sql. On SQLite it has its own file, DATA_DIR/reports.db (copied by
// backups like every top-level *.db): reports are not part of any account, and a busy day of
// received reports should not contend with mail delivery for hearth.db's write lock.
#include "core/sql/sql.hpp"
#include "mail/reports/store.hpp"

namespace hearth::mail::reports {
namespace {

// Never edit a released migration: add the next one.
constexpr sql::migration migrations[] = {
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
    {3, "rows and failures keep their place in the report", R"sql(
ALTER TABLE dmarc_rows ADD COLUMN ordinal INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tls_failures ADD COLUMN ordinal INTEGER NOT NULL DEFAULT 0;
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

// Reports and observations come back in the order they went in. SQLite's rowid gave that
// order before migration 3; PostgreSQL has no such column, so rows within a report carry
// their place in it (`ordinal`), and observations (one per message or session) are ordered by time and then
// by their own columns, which is as good: equal ones are interchangeable.
class sql_store final : public store {
 public:
  explicit sql_store(std::unique_ptr<sql::database> d) : db_(std::move(d)) {}

  result<bool> add_dmarc(const dmarc_report& r, std::int64_t received) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto tx = sql::transaction::begin(c, sql::durability::normal);
    if (!tx) return tx.error();
    auto id = c.query_int(
        "INSERT INTO dmarc_reports(org, report_id, email, domain, policy, begin_time, end_time, received) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(org, report_id) DO NOTHING RETURNING id",
        r.org, r.report_id, r.email, r.domain, r.policy, r.begin, r.end, received);
    if (!id) return id.error();
    if (!*id) return false;  // a sender's retry: the first copy stays
    std::int64_t ordinal = 0;
    for (const auto& d : r.rows) {
      auto x = c.query(
          "INSERT INTO dmarc_rows(report, source_ip, count, disposition, dkim, spf, header_from, envelope_from, "
          "dkim_domains, spf_domains, ordinal) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
          **id, d.source_ip, d.count, d.disposition, d.dkim, d.spf, d.header_from, d.envelope_from, d.dkim_domains,
          d.spf_domains, ordinal++);
      if (!x) return x.error();
    }
    if (auto x = tx->commit(); !x) return x.error();
    return true;
  }

  result<bool> add_tls(const tls_report& r, std::int64_t received) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto tx = sql::transaction::begin(c, sql::durability::normal);
    if (!tx) return tx.error();
    auto id = c.query_int(
        "INSERT INTO tls_reports(org, report_id, contact, begin_time, end_time, received) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(org, report_id) DO NOTHING RETURNING id",
        r.org, r.report_id, r.contact, r.begin, r.end, received);
    if (!id) return id.error();
    if (!*id) return false;
    for (const auto& p : r.policies) {
      auto pid = c.query_int(
          "INSERT INTO tls_policies(report, domain, type, success, failure) VALUES(?1, ?2, ?3, ?4, ?5) RETURNING id",
          **id, p.domain, p.type, p.success, p.failure);
      if (!pid) return pid.error();
      if (!*pid) return fail("db.error", "no id returned for a new TLS policy");
      std::int64_t ordinal = 0;
      for (const auto& x : p.failures) {
        auto y = c.query(
            "INSERT INTO tls_failures(policy, result_type, sending_ip, receiving_mx, receiving_ip, count, ordinal) "
            "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            **pid, x.result_type, x.sending_ip, x.receiving_mx, x.receiving_ip, x.count, ordinal++);
        if (!y) return y.error();
      }
    }
    if (auto x = tx->commit(); !x) return x.error();
    return true;
  }

  result<std::vector<stored_dmarc_row>> dmarc_rows(const query& q) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    const std::string select =
        "SELECT r.org, r.report_id, r.domain, r.begin_time, r.end_time, w.source_ip, w.count, w.disposition, w.dkim, "
        "w.spf, w.header_from, w.envelope_from, w.dkim_domains, w.spf_domains FROM dmarc_reports r "
        "JOIN dmarc_rows w ON w.report = r.id WHERE r.end_time >= ?1 ";
    const std::string order = " ORDER BY r.begin_time, r.id, w.ordinal";
    auto r = q.domain.empty() ? (*cr)->query(select + order, q.since)
                              : (*cr)->query(select + "AND r.domain = ?2" + order, q.since, q.domain);
    if (!r) return r.error();
    std::vector<stored_dmarc_row> out;
    for (int i = 0; i < r->size(); ++i) {
      stored_dmarc_row d;
      d.org = r->text(i, 0);
      d.report_id = r->text(i, 1);
      d.domain = r->text(i, 2);
      d.begin = r->int64(i, 3);
      d.end = r->int64(i, 4);
      d.source_ip = r->text(i, 5);
      d.count = static_cast<std::uint64_t>(r->int64(i, 6));
      d.disposition = r->text(i, 7);
      d.dkim = r->text(i, 8);
      d.spf = r->text(i, 9);
      d.header_from = r->text(i, 10);
      d.envelope_from = r->text(i, 11);
      d.dkim_domains = r->text(i, 12);
      d.spf_domains = r->text(i, 13);
      out.push_back(std::move(d));
    }
    return out;
  }

  result<std::vector<stored_tls_policy>> tls_policies(const query& q) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    const std::string select =
        "SELECT r.org, r.report_id, r.begin_time, r.end_time, p.id, p.domain, p.type, p.success, p.failure "
        "FROM tls_reports r JOIN tls_policies p ON p.report = r.id WHERE r.end_time >= ?1 ";
    const std::string order = " ORDER BY r.begin_time, r.id, p.id";
    auto r = q.domain.empty() ? c.query(select + order, q.since)
                              : c.query(select + "AND p.domain = ?2" + order, q.since, q.domain);
    if (!r) return r.error();
    std::vector<stored_tls_policy> out;
    for (int i = 0; i < r->size(); ++i) {
      stored_tls_policy p;
      p.org = r->text(i, 0);
      p.report_id = r->text(i, 1);
      p.begin = r->int64(i, 2);
      p.end = r->int64(i, 3);
      p.domain = r->text(i, 5);
      p.type = r->text(i, 6);
      p.success = static_cast<std::uint64_t>(r->int64(i, 7));
      p.failure = static_cast<std::uint64_t>(r->int64(i, 8));
      auto f = c.query(
          "SELECT result_type, sending_ip, receiving_mx, receiving_ip, count FROM tls_failures WHERE policy = ?1 "
          "ORDER BY ordinal",
          r->int64(i, 4));
      if (!f) return f.error();
      for (int k = 0; k < f->size(); ++k)
        p.failures.push_back(
            {f->text(k, 0), f->text(k, 1), f->text(k, 2), f->text(k, 3), static_cast<std::uint64_t>(f->int64(k, 4))});
      out.push_back(std::move(p));
    }
    return out;
  }

  result<void> record_dmarc(const dmarc_evaluation& e) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto r = (*cr)->query(
        "INSERT INTO dmarc_evaluations(time, source_ip, header_from, envelope_from, policy_domain, p, sp, adkim, aspf, "
        "pct, rua, disposition, dkim, spf, dkim_results, spf_domain, spf_result) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        e.time, e.source_ip, e.header_from, e.envelope_from, e.policy_domain, e.p, e.sp, e.adkim, e.aspf, e.pct, e.rua,
        e.disposition, e.dkim, e.spf, e.dkim_results, e.spf_domain, e.spf_result);
    if (!r) return r.error();
    return {};
  }

  result<void> record_tls(const tls_session& s) override { return record_tls_sessions({s}); }

  result<void> record_tls_sessions(const std::vector<tls_session>& batch) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    // durability::normal: statistics, not acknowledged mail; no fsync per batch.
    auto tx = sql::transaction::begin(c, sql::durability::normal);
    if (!tx) return tx.error();
    for (const auto& s : batch) {
      auto r = c.query(
          "INSERT INTO tls_sessions(time, policy_domain, policy_type, result_type, sending_ip, receiving_mx, "
          "receiving_ip, rua, policy_string, mx_host, failure_reason) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
          s.time, s.policy_domain, s.policy_type, s.result_type, s.sending_ip, s.receiving_mx, s.receiving_ip, s.rua,
          join_lines(s.policy_string), join_lines(s.mx_host), s.failure_reason);
      if (!r) return r.error();
    }
    return tx->commit();
  }

  result<std::vector<dmarc_evaluation>> dmarc_evaluations(std::int64_t end) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto r = (*cr)->query(
        "SELECT time, source_ip, header_from, envelope_from, policy_domain, p, sp, adkim, aspf, pct, rua, disposition, "
        "dkim, spf, dkim_results, spf_domain, spf_result FROM dmarc_evaluations WHERE time < ?1 "
        "ORDER BY time, policy_domain, header_from, source_ip, envelope_from, disposition, dkim, spf, dkim_results, "
        "spf_domain, spf_result",
        end);
    if (!r) return r.error();
    std::vector<dmarc_evaluation> out;
    for (int i = 0; i < r->size(); ++i) {
      dmarc_evaluation e;
      e.time = r->int64(i, 0);
      e.source_ip = r->text(i, 1);
      e.header_from = r->text(i, 2);
      e.envelope_from = r->text(i, 3);
      e.policy_domain = r->text(i, 4);
      e.p = r->text(i, 5);
      e.sp = r->text(i, 6);
      e.adkim = r->text(i, 7);
      e.aspf = r->text(i, 8);
      e.pct = static_cast<int>(r->int64(i, 9));
      e.rua = r->text(i, 10);
      e.disposition = r->text(i, 11);
      e.dkim = r->text(i, 12);
      e.spf = r->text(i, 13);
      e.dkim_results = r->text(i, 14);
      e.spf_domain = r->text(i, 15);
      e.spf_result = r->text(i, 16);
      out.push_back(std::move(e));
    }
    return out;
  }

  result<std::vector<tls_session>> tls_sessions(std::int64_t end) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto r = (*cr)->query(
        "SELECT time, policy_domain, policy_type, result_type, sending_ip, receiving_mx, receiving_ip, rua, "
        "policy_string, mx_host, failure_reason FROM tls_sessions WHERE time < ?1 "
        "ORDER BY time, policy_domain, policy_type, result_type, receiving_mx, receiving_ip, sending_ip, failure_reason",
        end);
    if (!r) return r.error();
    std::vector<tls_session> out;
    for (int i = 0; i < r->size(); ++i) {
      tls_session s;
      s.time = r->int64(i, 0);
      s.policy_domain = r->text(i, 1);
      s.policy_type = r->text(i, 2);
      s.result_type = r->text(i, 3);
      s.sending_ip = r->text(i, 4);
      s.receiving_mx = r->text(i, 5);
      s.receiving_ip = r->text(i, 6);
      s.rua = r->text(i, 7);
      s.policy_string = split_lines(r->text(i, 8));
      s.mx_host = split_lines(r->text(i, 9));
      s.failure_reason = r->text(i, 10);
      out.push_back(std::move(s));
    }
    return out;
  }

  result<void> forget_before(std::int64_t end) override {
    auto cr = db_->try_get();
    if (!cr) return cr.error();
    auto& c = **cr;
    auto tx = sql::transaction::begin(c, sql::durability::normal);
    if (!tx) return tx.error();
    for (auto q : {"DELETE FROM dmarc_evaluations WHERE time < ?1", "DELETE FROM tls_sessions WHERE time < ?1"})
      if (auto x = c.query(q, end); !x) return x.error();
    return tx->commit();
  }

 private:
  std::unique_ptr<sql::database> db_;
};

}  // namespace

result<std::unique_ptr<store>> open_store(const std::string& target) {
  auto d = sql::open_migrated(target, "reports", migrations);
  if (!d) return d.error();
  return std::unique_ptr<store>(std::make_unique<sql_store>(std::move(*d)));
}

}  // namespace hearth::mail::reports
