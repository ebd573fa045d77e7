// The reports store: DMARC aggregate and TLS-RPT reports received about our domains, and what
// we observed for the reports we send (per-message DMARC evaluations at SMTP time, outbound
// TLS sessions). The one implementation (store_sql.cpp) is written on core/sql; on SQLite it
// keeps them in DATA_DIR/reports.db. Nothing above this interface sees SQL.
//
//   auto st = reports::open_store((data_dir / "reports.db").string()).value();
//   st->add_dmarc(report, now);          // false: the same org + report_id was stored before
//   auto rows = st->dmarc_rows({"home.test", since});
//
// Thread-safety: every method may be called from any thread at once (one connection per
// thread). Every call blocks on disk: call it from the blocking pool.
// Errors: "db.*" (core/sql/sql.hpp) for storage failures.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/util/result.hpp"
#include "mail/reports/report.hpp"

namespace hearth::mail::reports {

struct query {
  std::string domain;     // "" = every domain
  std::int64_t since = 0; // reports whose date range ends at or after this time
};

struct stored_dmarc_row : dmarc_row {
  std::string org, report_id, domain;
  std::int64_t begin = 0, end = 0;
};

struct stored_tls_policy : tls_policy {
  std::string org, report_id;
  std::int64_t begin = 0, end = 0;
};

// One message's DMARC evaluation at SMTP time (RFC 7489 §7.2.1.1's record fields), kept until
// the daily report to the sender domain's rua is sent.
struct dmarc_evaluation {
  std::int64_t time = 0;
  std::string source_ip;
  std::string header_from;    // RFC5322.From domain
  std::string envelope_from;  // RFC5321.MailFrom domain
  std::string policy_domain;  // where the DMARC record was found
  std::string p, sp, adkim = "r", aspf = "r";
  int pct = 100;
  std::string rua;            // the record's rua= (mailto: URIs, comma separated)
  std::string disposition;    // none | quarantine | reject (what we applied)
  std::string dkim;           // aligned DKIM: pass | fail
  std::string spf;            // aligned SPF: pass | fail
  std::string dkim_results;   // "d1=pass d2=fail" (auth_results)
  std::string spf_domain, spf_result;
};

// One outbound SMTP session's TLS outcome, for the TLS-RPT report to the recipient domain
// (RFC 8460 §4.3). result_type "" is a success.
struct tls_session {
  std::int64_t time = 0;
  std::string policy_domain;  // the recipient domain
  std::string policy_type;    // sts | tlsa | no-policy-found
  std::string result_type;    // "" on success, else RFC 8460 §4.3's result type
  std::string sending_ip, receiving_mx, receiving_ip;
  std::string rua;            // the domain's _smtp._tls rua= if known; "" = looked up when the report is due
  std::vector<std::string> policy_string;  // RFC 8460 §4.4: the policy's lines (sts, tlsa)
  std::vector<std::string> mx_host;        // sts: the policy's mx patterns
  std::string failure_reason;              // failures: failure-reason-code, free text
};

class store {
 public:
  virtual ~store() = default;

  // ---- received reports ----
  // Stores a report; returns false when the same (org, report_id) is already stored (a sender's
  // retry), leaving the first one.
  virtual result<bool> add_dmarc(const dmarc_report& r, std::int64_t received) = 0;
  virtual result<bool> add_tls(const tls_report& r, std::int64_t received) = 0;
  // Rows of the reports matching q, oldest report first.
  virtual result<std::vector<stored_dmarc_row>> dmarc_rows(const query& q) = 0;
  virtual result<std::vector<stored_tls_policy>> tls_policies(const query& q) = 0;

  // ---- observations for the reports we send ----
  virtual result<void> record_dmarc(const dmarc_evaluation& e) = 0;
  virtual result<void> record_tls(const tls_session& s) = 0;
  // Many sessions in one transaction (the queue's outcomes arrive in batches).
  virtual result<void> record_tls_sessions(const std::vector<tls_session>& batch) = 0;
  // Everything recorded before `end`, oldest first.
  virtual result<std::vector<dmarc_evaluation>> dmarc_evaluations(std::int64_t end) = 0;
  virtual result<std::vector<tls_session>> tls_sessions(std::int64_t end) = 0;
  // Drops what was recorded before `end` (once the reports for that period are queued).
  virtual result<void> forget_before(std::int64_t end) = 0;
};

// Opens (creating and migrating) the store in `target`: a SQLite file path or a PostgreSQL
// URL, as sql::open takes. Errors: "db.*".
result<std::unique_ptr<store>> open_store(const std::string& target);

}  // namespace hearth::mail::reports
