#include "app/web_admin_server.hpp"

#include <chrono>
#include <ctime>
#include <mutex>

#include "app/common.hpp"
#include "app/dns_check_run.hpp"
#include "core/db/db.hpp"
#include "mail/filter/greylist.hpp"
#include "mail/queue/store.hpp"
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
      auto st = mail::queue::store::open(cfg_.data_dir, directory_file(cfg_));
      if (!st) return st.error();
      queue_ = *st;
    }
    return queue_;
  }

  // Only read here: the times given do not matter, the serving filter applies its own.
  result<std::shared_ptr<mail::filter::greylist>> grey() {
    std::lock_guard lock(mu_);
    if (!grey_) {
      auto d = db::database::open(directory_file(cfg_));
      if (!d) return d.error();
      auto g = mail::filter::greylist::open(std::make_shared<db::database>(std::move(*d)), {});
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
};

}  // namespace

std::unique_ptr<server_admin> make_web_admin_server(const config::config& cfg, directory::directory& dir,
                                                    std::shared_ptr<mail::queue::store> queue) {
  return std::make_unique<areas_view>(cfg, dir, std::move(queue));
}

}  // namespace hearth::app
