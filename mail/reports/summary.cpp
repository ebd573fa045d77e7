#include "mail/reports/summary.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "mail/reports/tlsrpt_json.hpp"

namespace hearth::mail::reports {
namespace {

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) {
    v.push_back(s);
    std::sort(v.begin(), v.end());
  }
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "-" : out;
}

std::string line(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

std::string u(std::uint64_t n) { return std::to_string(n); }

}  // namespace

std::vector<dmarc_group> group_dmarc(const std::vector<stored_dmarc_row>& rows) {
  std::map<std::tuple<std::string, std::string, std::string>, dmarc_group> m;
  for (const auto& r : rows) {
    auto day = day_of(r.begin);
    auto& g = m[{r.domain, day, r.source_ip}];
    g.domain = r.domain;
    g.day = day;
    g.source_ip = r.source_ip;
    g.messages += r.count;
    bool dkim = r.dkim == "pass", spf = r.spf == "pass";
    if (dkim) g.dkim_pass += r.count;
    if (spf) g.spf_pass += r.count;
    // RFC 7489 §6.6.2: DMARC passes when either aligned identifier passes.
    if (!dkim && !spf) g.dmarc_fail += r.count;
    add_unique(g.reporters, r.org);
    add_unique(g.dispositions, r.disposition);
  }
  std::vector<dmarc_group> out;
  for (auto& [k, g] : m) out.push_back(std::move(g));
  return out;
}

std::vector<dmarc_source> dmarc_sources(const std::vector<dmarc_group>& groups) {
  std::map<std::pair<std::string, std::string>, dmarc_source> per_source;
  for (const auto& g : groups) {
    auto& s = per_source[{g.domain, g.source_ip}];
    s.domain = g.domain;
    s.source_ip = g.source_ip;
    s.messages += g.messages;
    s.dkim_pass += g.dkim_pass;
    s.spf_pass += g.spf_pass;
    s.dmarc_fail += g.dmarc_fail;
  }
  std::vector<dmarc_source> out;
  for (auto& [k, s] : per_source) {
    if (s.dkim_pass == s.messages) s.verdict = "ok";
    else if (s.dmarc_fail > 0 && s.spf_pass == 0) s.verdict = "spoofing";
    else s.verdict = "forgotten";  // some DKIM failures, and SPF passes for some of its mail
    out.push_back(std::move(s));
  }
  return out;
}

std::string format_dmarc(const std::vector<stored_dmarc_row>& rows) {
  if (rows.empty()) return "no DMARC reports\n";
  auto groups = group_dmarc(rows);
  std::set<std::pair<std::string, std::string>> reports;
  for (const auto& r : rows) reports.insert({r.org, r.report_id});
  std::string out = "DMARC aggregate reports: " + std::to_string(reports.size()) + " report(s)\n";
  out += line("%-10s  %-24s  %-39s  %8s  %9s  %8s  %10s  %-12s  %s\n", "day", "domain", "source IP", "messages",
              "dkim pass", "spf pass", "dmarc fail", "disposition", "reported by");
  std::uint64_t total = 0, failed = 0;
  for (const auto& g : groups) {
    out += line("%-10s  %-24s  %-39s  %8s  %9s  %8s  %10s  %-12s  %s\n", g.day.c_str(), g.domain.c_str(),
                g.source_ip.c_str(), u(g.messages).c_str(), u(g.dkim_pass).c_str(), u(g.spf_pass).c_str(),
                u(g.dmarc_fail).c_str(), join(g.dispositions).c_str(), join(g.reporters).c_str());
    total += g.messages;
    failed += g.dmarc_fail;
  }
  out += "total: " + u(total) + " message(s), " + u(failed) + " failing DMARC\n";
  // Per source over the whole period: what a person should do about it.
  std::string notes;
  for (const auto& s : dmarc_sources(groups)) {
    std::string who = s.source_ip + " sent " + u(s.messages) + " message(s) as " + s.domain;
    if (s.verdict == "spoofing")
      notes += "  FAIL " + who + " failing DKIM and SPF: not authorised to send as you (spoofing), or a "
               "service you forgot to authorise: add its DKIM key or its IP to SPF if it is yours\n";
    else if (s.verdict == "forgotten")
      notes += "  WARN " + who + " failing DKIM (" + u(s.messages - s.dkim_pass) +
               "), passing SPF: usually a service sending for you without your DKIM key (a forgotten service); "
               "set up DKIM signing there\n";
  }
  if (!notes.empty()) out += "failures:\n" + notes;
  return out;
}

std::vector<tls_group> group_tls(const std::vector<stored_tls_policy>& policies) {
  std::map<std::pair<std::string, std::string>, tls_group> m;
  for (const auto& p : policies) {
    auto day = day_of(p.begin);
    auto& g = m[{p.domain, day}];
    g.domain = p.domain;
    g.day = day;
    g.success += p.success;
    g.failure += p.failure;
    add_unique(g.reporters, p.org);
    for (const auto& f : p.failures) {
      auto it = std::find_if(g.failures.begin(), g.failures.end(), [&](const tls_failure& x) {
        return x.result_type == f.result_type && x.receiving_mx == f.receiving_mx && x.receiving_ip == f.receiving_ip;
      });
      if (it == g.failures.end()) g.failures.push_back(f);
      else it->count += f.count;
    }
  }
  std::vector<tls_group> out;
  for (auto& [k, g] : m) out.push_back(std::move(g));
  return out;
}

std::string format_tls(const std::vector<stored_tls_policy>& policies) {
  if (policies.empty()) return "no TLS-RPT reports\n";
  auto groups = group_tls(policies);
  std::set<std::pair<std::string, std::string>> reports;
  for (const auto& p : policies) reports.insert({p.org, p.report_id});
  std::string out = "TLS-RPT reports: " + std::to_string(reports.size()) + " report(s)\n";
  out += line("%-10s  %-24s  %10s  %10s  %s\n", "day", "domain", "successful", "failed", "reported by");
  std::string notes;
  for (const auto& g : groups) {
    out += line("%-10s  %-24s  %10s  %10s  %s\n", g.day.c_str(), g.domain.c_str(), u(g.success).c_str(),
                u(g.failure).c_str(), join(g.reporters).c_str());
    for (const auto& f : g.failures)
      notes += "  FAIL " + g.day + " " + g.domain + ": " + u(f.count) + " session(s) " +
               (f.result_type.empty() ? std::string("failed") : f.result_type) +
               (f.receiving_mx.empty() ? "" : " at " + f.receiving_mx) +
               (f.receiving_ip.empty() ? "" : " [" + f.receiving_ip + "]") +
               (f.sending_ip.empty() ? "" : " from " + f.sending_ip) + "\n";
  }
  if (!notes.empty()) out += "failures (senders could not deliver to you over TLS as your policy asks):\n" + notes;
  return out;
}

}  // namespace hearth::mail::reports
