// `hearth reports dmarc|tls [--domain D] [--since DATE]`: the DMARC aggregate and TLS-RPT
// reports received about our domains (DATA_DIR/reports.db, filled by a running `hearth serve`),
// per domain, day and sending IP, with the failures pointed out.
#include <cstdio>

#include "app/common.hpp"
#include "mail/reports/store.hpp"
#include "mail/reports/summary.hpp"
#include "mail/reports/tlsrpt_json.hpp"

namespace hearth::app {
namespace {

const char* usage =
    "usage: hearth [--config FILE] reports dmarc|tls [--domain DOMAIN] [--since YYYY-MM-DD]\n\n"
    "  dmarc   DMARC aggregate reports (RFC 7489) that receivers sent about our domains: messages per\n"
    "          day and sending IP, how many passed DKIM and SPF, and which sources fail (a source\n"
    "          failing DKIM is usually a service sending as you that you forgot to set up)\n"
    "  tls     TLS-RPT reports (RFC 8460): sessions to our MX that senders could or could not secure\n\n"
    "  --domain DOMAIN     only reports about DOMAIN\n"
    "  --since YYYY-MM-DD  only reports whose period ends on or after that day (UTC)\n";

}  // namespace

int cmd_reports(const globals& g, const args& a) {
  auto p = parse_args(a, {"--domain", "--since"});
  if (p.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!p.error.empty() || p.positional.size() != 1) return usage_error(p.error.empty() ? "dmarc or tls?" : p.error, usage);
  const std::string& sub = p.positional[0];
  if (sub != "dmarc" && sub != "tls") return usage_error("unknown reports command " + sub, usage);
  mail::reports::query q;
  if (auto d = p.option("--domain")) {
    q.domain = *d;
    for (char& c : q.domain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (auto s = p.option("--since")) {
    auto t = mail::reports::parse_day(*s);
    if (!t) return usage_error("--since wants a date as YYYY-MM-DD", usage);
    q.since = *t;
  }
  auto cfg = load_config(g);
  if (!cfg) return 1;
  auto st = mail::reports::open_store(database_target(*cfg, "reports.db"));
  if (!st) return fail_with(1, st.error().message);
  if (sub == "dmarc") {
    auto rows = (*st)->dmarc_rows(q);
    if (!rows) return fail_with(1, rows.error().message);
    std::fputs(mail::reports::format_dmarc(*rows).c_str(), stdout);
  } else {
    auto pols = (*st)->tls_policies(q);
    if (!pols) return fail_with(1, pols.error().message);
    std::fputs(mail::reports::format_tls(*pols).c_str(), stdout);
  }
  return 0;
}

}  // namespace hearth::app
