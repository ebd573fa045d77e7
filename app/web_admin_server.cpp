#include "app/web_admin_server.hpp"

#include <chrono>
#include <ctime>
#include <mutex>
#include <set>

#include "app/common.hpp"
#include "app/dns_check_run.hpp"
#include "mail/filter/decision_store.hpp"
#include "mail/filter/greylist.hpp"
#include "mail/queue/store.hpp"
#include "mail/reports/store.hpp"
#include "mail/reports/summary.hpp"
#include "rfc6764/zone.hpp"

namespace hearth::app {
namespace {

using namespace web::admin;

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const char* level_name(rfc6764::finding::level l) {
  return l == rfc6764::finding::ok ? "ok" : l == rfc6764::finding::warn ? "warn" : "fail";
}

class areas_view final : public server_admin {
 public:
  areas_view(const config::config& cfg, directory::directory& dir, std::shared_ptr<mail::queue::store> q)
      : cfg_(cfg), dir_(dir), queue_(std::move(q)) {}

  result<dns_report> dns(std::string_view domain) override {
    auto out = run_dns_check(cfg_, dir_, dns_check_request{std::string(domain), {}, {}, {}, false});
    if (!out) return out.error();
    dns_report r;
    r.domain = out->plan.domain;
    r.ttl = out->plan.ttl;
    for (const auto& z : out->plan.records) r.records.push_back({z.name, z.type, z.value, z.comment, z.group});
    r.zone_text = rfc6764::to_bind(out->plan, out->plan.ttl);
    r.notes = out->plan.notes;
    for (const auto& f : out->findings) r.checks.push_back({level_name(f.lvl), f.what, f.detail, f.fix});
    return r;
  }

  result<std::vector<queue_message>> queue() override {
    auto st = store();
    if (!st) return st.error();
    auto all = (*st)->list();
    if (!all) return all.error();
    std::vector<queue_message> out;
    for (const auto& m : *all) {
      queue_message q{m.id, m.env.from, m.env.auth_user, m.size, m.created, {}};
      for (const auto& r : m.rcpts)
        q.rcpts.push_back({r.address, r.status, r.attempts, r.next_attempt, r.last_attempt, r.last_reply,
                           r.last_status, r.relay});
      out.push_back(std::move(q));
    }
    return out;
  }

  result<int> queue_act(std::string_view id, queue_action a) override {
    auto st = store();
    if (!st) return st.error();
    // The running delivery agent re-reads due rows every second (mail/queue/store.hpp).
    switch (a) {
      case queue_action::retry: return (*st)->flush(id, now_s());
      case queue_action::remove: return (*st)->remove(id);
      case queue_action::bounce: return (*st)->request_bounce(id, now_s());
    }
    return fail("queue.invalid", "unknown action");
  }

  result<std::vector<greylist_entry>> greylist(std::size_t limit) override {
    auto g = grey();
    if (!g) return g.error();
    auto all = (*g)->entries(now_s(), limit);
    if (!all) return all.error();
    std::vector<greylist_entry> out;
    for (auto& e : *all)
      out.push_back({std::move(e.network), std::move(e.sender), std::move(e.rcpt), e.first_seen, e.expires, e.passed});
    return out;
  }

  result<std::vector<dkim_entry>> dkim(std::string_view domain) override {
    std::vector<dkim_entry> out;
    for (const auto& k : dir_.dkim_keys(domain)) out.push_back(entry(k));
    return out;
  }

  result<std::vector<dkim_entry>> dkim_generate(std::string_view domain) override {
    auto dom = dir_.find_domain(domain);
    if (!dom) return fail("directory.not_found", "no such domain");
    // The first keys get the configured selector, as `hearth domain add` gives them; later
    // ones a dated selector, since keys are never replaced in place (receivers still verify
    // mail signed with the old key until the new record is published).
    std::string sel = cfg_.dkim_selector;
    auto keys = dir_.dkim_keys(dom->name);
    if (!keys.empty()) {
      std::time_t t = static_cast<std::time_t>(now_s());
      std::tm tm{};
      gmtime_r(&t, &tm);
      char buf[16];
      std::strftime(buf, sizeof buf, "%Y%m%d", &tm);
      std::string base = cfg_.dkim_selector + "-" + buf;
      sel = base;
      auto taken = [&](const std::string& s) {
        for (const auto& k : keys)
          if (k.selector == s || k.selector == s + "-ed25519") return true;
        return false;
      };
      for (int i = 2; taken(sel) && i < 100; ++i) sel = base + "-" + std::to_string(i);
    }
    auto added = add_dkim_pair(dir_, dom->name, sel);
    if (!added) return added.error();
    std::vector<dkim_entry> out;
    for (const auto& k : *added) out.push_back(entry(k));
    return out;
  }

  result<reports_view> reports(std::string_view domain, std::int64_t since) override {
    auto st = report_store();
    if (!st) return st.error();
    const mail::reports::query q{std::string(domain), since};
    auto rows = (*st)->dmarc_rows(q);
    if (!rows) return rows.error();
    auto pols = (*st)->tls_policies(q);
    if (!pols) return pols.error();
    reports_view v;
    std::set<std::pair<std::string, std::string>> ids;
    for (const auto& r : *rows) ids.insert({r.org, r.report_id});
    v.dmarc_reports = ids.size();
    ids.clear();
    for (const auto& p : *pols) ids.insert({p.org, p.report_id});
    v.tls_reports = ids.size();
    auto groups = mail::reports::group_dmarc(*rows);
    for (auto& g : groups)
      v.dmarc.push_back({g.domain, g.day, g.source_ip, g.messages, g.dkim_pass, g.spf_pass, g.dmarc_fail,
                         std::move(g.reporters), std::move(g.dispositions)});
    for (auto& s : mail::reports::dmarc_sources(groups))
      v.sources.push_back({s.domain, s.source_ip, s.verdict, s.messages, s.dkim_pass, s.spf_pass, s.dmarc_fail});
    for (auto& g : mail::reports::group_tls(*pols)) {
      tls_day d{g.domain, g.day, g.success, g.failure, std::move(g.reporters), {}};
      for (const auto& f : g.failures) d.failures.push_back({f.result_type, f.sending_ip, f.receiving_mx, f.receiving_ip, f.count});
      v.tls.push_back(std::move(d));
    }
    return v;
  }

  result<std::vector<mail_decision>> decisions(std::string_view address, std::string_view ip, std::int64_t before,
                                               std::size_t limit) override {
    std::vector<mail_decision> out;
    if (cfg_.filter_decisions_days == 0) return out;
    auto st = decision_store();
    if (!st) return st.error();
    auto found = (*st)->search({std::string(address), std::string(ip), before, limit});
    if (!found) return found.error();
    for (auto& d : *found)
      out.push_back({d.seq, d.time, std::move(d.session), std::move(d.id), std::move(d.ip), std::move(d.helo),
                     std::move(d.from), std::move(d.rcpts), std::move(d.stage), std::move(d.outcome),
                     std::move(d.filter), std::move(d.reply), d.score, std::move(d.symbols), std::move(d.dnsbl),
                     std::move(d.greylist), std::move(d.spam)});
    return out;
  }

 private:
  static dkim_entry entry(const directory::dkim_key& k) {
    auto v = rfc6764::dkim_txt_value(k);
    // RFC 6376 §3.6.2.1: the record lives at SELECTOR._domainkey.DOMAIN.
    return dkim_entry{k.selector, k.algorithm, k.created, k.selector + "._domainkey." + k.domain,
                      v ? *v : std::string()};
  }

  result<std::shared_ptr<mail::queue::store>> store() {
    std::lock_guard lock(mu_);
    if (!queue_) {
      auto st = mail::queue::store::open(cfg_.data_dir, database_target(cfg_));
      if (!st) return st.error();
      queue_ = *st;
    }
    return queue_;
  }

  // The store the SMTP sessions write to (serve_filter.cpp); read here only.
  result<std::shared_ptr<mail::filter::decision_store>> decision_store() {
    std::lock_guard lock(mu_);
    if (!decisions_) {
      auto st = mail::filter::open_decision_store(database_target(cfg_, "decisions.db"));
      if (!st) return st.error();
      decisions_ = std::move(*st);
    }
    return decisions_;
  }

  // The store `hearth serve` fills with the reports it receives (serve_reports.cpp).
  result<std::shared_ptr<mail::reports::store>> report_store() {
    std::lock_guard lock(mu_);
    if (!reports_) {
      auto st = mail::reports::open_store(database_target(cfg_, "reports.db"));
      if (!st) return st.error();
      reports_ = std::move(*st);
    }
    return reports_;
  }

  // Only read here: the times given do not matter, the serving filter applies its own.
  result<std::shared_ptr<mail::filter::greylist>> grey() {
    std::lock_guard lock(mu_);
    if (!grey_) {
      auto g = mail::filter::greylist::open(database_target(cfg_), {});
      if (!g) return g.error();
      grey_ = *g;
    }
    return grey_;
  }

  const config::config& cfg_;
  directory::directory& dir_;
  std::mutex mu_;
  std::shared_ptr<mail::queue::store> queue_;
  std::shared_ptr<mail::filter::greylist> grey_;
  std::shared_ptr<mail::reports::store> reports_;
  std::shared_ptr<mail::filter::decision_store> decisions_;
};

}  // namespace

std::unique_ptr<server_admin> make_web_admin_server(const config::config& cfg, directory::directory& dir,
                                                    std::shared_ptr<mail::queue::store> queue) {
  return std::make_unique<areas_view>(cfg, dir, std::move(queue));
}

}  // namespace hearth::app
