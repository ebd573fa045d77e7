// GET /api/v1/admin/reports?domain=D&since=YYYY-MM-DD: the DMARC aggregate and TLS-RPT
// reports received about our domains, per domain and day, each sending IP with its verdict
// (a forgotten service, a spoofer), and the TLS failures senders met at our MX.
#include <algorithm>
#include <charconv>
#include <chrono>

#include "web/admin/admin.hpp"

namespace hearth::web::admin {
namespace {

using sp = std::shared_ptr<const services>;

// "YYYY-MM-DD" as the Unix time of that day's start (UTC), or nullopt.
std::optional<std::int64_t> parse_day(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto num = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data() + at, s.data() + at + n, v);
    if (ec != std::errc() || p != s.data() + at + n) return std::nullopt;
    return v;
  };
  auto y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (!y || !m || !d) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month{static_cast<unsigned>(*m)},
                                  std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd}.time_since_epoch() / std::chrono::seconds(1);
}

json::value strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(s);
  return json::value(std::move(a));
}

http::response reports(const services& s, call& c) {
  std::string domain = http::query_param(c.req.query, "domain").value_or("");
  if (domain.size() > 253) return fail_with(400, "invalid", "domain too long");
  std::int64_t since = 0;
  if (auto t = http::query_param(c.req.query, "since"); t && !t->empty()) {
    auto d = parse_day(*t);
    if (!d) return fail_with(400, "invalid", "since must be a day, YYYY-MM-DD");
    since = *d;
  }
  auto r = s.server.reports(domain, since);
  if (!r) return store_error(r.error());

  // Per domain and day: what the reporters saw in total, then the sources behind it.
  json::array days, rows, sources, tls;
  {
    std::string cur_domain, cur_day;
    std::uint64_t messages = 0, fail = 0;
    std::vector<std::string> reporters;
    auto flush = [&] {
      if (cur_day.empty()) return;
      json::object o;
      o.set("domain", cur_domain).set("day", cur_day).set("messages", messages).set("dmarc_pass", messages - fail)
          .set("dmarc_fail", fail).set("reporters", strings(reporters));
      days.push_back(json::value(std::move(o)));
    };
    for (const auto& g : r->dmarc) {
      if (g.domain != cur_domain || g.day != cur_day) {
        flush();
        cur_domain = g.domain;
        cur_day = g.day;
        messages = fail = 0;
        reporters.clear();
      }
      messages += g.messages;
      fail += g.dmarc_fail;
      for (const auto& o : g.reporters)
        if (std::find(reporters.begin(), reporters.end(), o) == reporters.end()) reporters.push_back(o);
      json::object o;
      o.set("domain", g.domain).set("day", g.day).set("source_ip", g.source_ip).set("messages", g.messages)
          .set("dkim_pass", g.dkim_pass).set("spf_pass", g.spf_pass).set("dmarc_fail", g.dmarc_fail)
          .set("reporters", strings(g.reporters)).set("dispositions", strings(g.dispositions));
      rows.push_back(json::value(std::move(o)));
    }
    flush();
  }
  for (const auto& v : r->sources) {
    json::object o;
    o.set("domain", v.domain).set("source_ip", v.source_ip).set("verdict", v.verdict).set("messages", v.messages)
        .set("dkim_pass", v.dkim_pass).set("spf_pass", v.spf_pass).set("dmarc_fail", v.dmarc_fail);
    sources.push_back(json::value(std::move(o)));
  }
  for (const auto& d : r->tls) {
    json::array failures;
    for (const auto& f : d.failures) {
      json::object o;
      o.set("result_type", f.result_type).set("sending_ip", f.sending_ip).set("receiving_mx", f.receiving_mx)
          .set("receiving_ip", f.receiving_ip).set("count", f.count);
      failures.push_back(json::value(std::move(o)));
    }
    json::object o;
    o.set("domain", d.domain).set("day", d.day).set("success", d.success).set("failure", d.failure)
        .set("reporters", strings(d.reporters)).set("failures", json::value(std::move(failures)));
    tls.push_back(json::value(std::move(o)));
  }
  json::object dmarc;
  dmarc.set("reports", static_cast<std::uint64_t>(r->dmarc_reports)).set("days", json::value(std::move(days)))
      .set("rows", json::value(std::move(rows))).set("sources", json::value(std::move(sources)));
  json::object t;
  t.set("reports", static_cast<std::uint64_t>(r->tls_reports)).set("days", json::value(std::move(tls)));
  json::object o;
  o.set("dmarc", json::value(std::move(dmarc))).set("tls", json::value(std::move(t)));
  return ok(json::value(std::move(o)));
}

}  // namespace

void add_report_endpoints(api& a, const sp& s) {
  a.add({"GET", "/api/v1/admin/reports", access::admin, [s](call& c) { return reports(*s, c); }});
}

}  // namespace hearth::web::admin
