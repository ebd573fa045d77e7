// mail/reports in `hearth serve`: reports received at the zone's report address are
// read into DATA_DIR/reports.db after the message is delivered (the mail stays in the
// mailbox either way); DMARC evaluations are recorded at SMTP time when reports.send_dmarc is
// on; once a day the reports due are built and queued (reports.send_dmarc, reports.send_tls).
// TLS-RPT: the queue hands over the TLS outcome of each outbound session (reports.send_tls);
// they are kept in memory and written in one transaction every half minute, at each report
// run and at stop, so no delivery waits for reports.db (a crash loses at most those seconds
// of statistics, never mail). Reports go to the rua's mailto: addresses through the queue
// and to its https: URIs by POST (RFC 8460 §5.3, §5.4).
//
// The sender runs on a thread of its own (like the backup schedule): it blocks on the store
// and waits for DNS answers, and must not hold a blocking-pool thread the sessions need.
// Its clock is the system's plus HEARTH_REPORTS_CLOCK_OFFSET seconds (a test-only environment
// variable: tests simulate the next day without waiting for it).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "app/common.hpp"
#include "app/serve_mail.hpp"
#include "core/dns/resolver.hpp"
#include "core/log/log.hpp"
#include "directory/directory.hpp"
#include "mail/mailauth/dmarc.hpp"
#include "mail/mailauth/filter.hpp"
#include "mail/mailauth/tags.hpp"
#include "mail/queue/queue.hpp"
#include "mail/reports/https_post.hpp"
#include "mail/reports/ingest.hpp"
#include "mail/reports/outgoing.hpp"
#include "mail/reports/store.hpp"
#include "mail/reports/tlsrpt_json.hpp"
#include "mail/reports/unpack.hpp"
#include "mail/smtp/server/delivery.hpp"

namespace hearth::app {
namespace {

namespace rp = mail::reports;

std::int64_t clock_now() {
  static const std::int64_t offset = [] {
    const char* v = std::getenv("HEARTH_REPORTS_CLOCK_OFFSET");
    return v ? std::strtoll(v, nullptr, 10) : 0;
  }();
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count() + offset;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string domain_of(const std::string& address) {
  auto at = address.rfind('@');
  return at == std::string::npos ? "" : lower(address.substr(at + 1));
}

// Our report address and name: zone.report_local at the domain of the host name when we host
// it, else at our first domain.
rp::reporter make_reporter(serve_context& ctx) {
  const auto& c = ctx.cfg;
  std::string domain;
  auto domains = ctx.dir.domains();
  for (const auto& d : domains)
    if (lower(c.hostname) == d.name || lower(c.hostname).ends_with("." + d.name)) domain = d.name;
  if (domain.empty() && !domains.empty()) domain = domains.front().name;
  if (domain.empty()) domain = c.hostname;
  return {c.hostname, c.zone_report_local + "@" + domain, c.hostname};
}

// The queue's TLS outcomes on their way to the store (see the top of the file).
class tls_recorder {
 public:
  explicit tls_recorder(std::shared_ptr<rp::store> store) : store_(std::move(store)) {}

  // From the queue's strand: never blocks on disk.
  void add(std::vector<mail::queue::tls_outcome> v) {
    const std::int64_t now = clock_now();
    std::lock_guard l(mu_);
    for (auto& o : v) {
      if (pending_.size() >= max_pending) {
        ++dropped_;
        continue;
      }
      rp::tls_session s;
      s.time = now;
      s.policy_domain = lower(std::move(o.policy_domain));
      s.policy_type = std::move(o.policy_type);
      s.result_type = std::move(o.result_type);
      s.sending_ip = std::move(o.sending_ip);
      s.receiving_mx = std::move(o.receiving_mx);
      s.receiving_ip = std::move(o.receiving_ip);
      s.policy_string = std::move(o.policy_string);
      s.mx_host = std::move(o.mx_host);
      s.failure_reason = std::move(o.reason);
      pending_.push_back(std::move(s));
    }
  }

  // Writes what is pending (blocking; the sender's thread or stop).
  void flush() {
    std::vector<rp::tls_session> batch;
    std::uint64_t dropped = 0;
    {
      std::lock_guard l(mu_);
      batch.swap(pending_);
      std::swap(dropped, dropped_);
    }
    if (dropped) log::warn("reports.tls_dropped", {{"sessions", dropped}, {"reason", "too many waiting to be written"}});
    if (batch.empty()) return;
    if (auto r = store_->record_tls_sessions(batch); !r)
      log::error("reports.record", {{"kind", "tls"}, {"error", r.error().message},
                                    {"sessions", static_cast<std::uint64_t>(batch.size())}});
  }

 private:
  // A day of a busy queue between two flushes would be far less; past this the queue is
  // outrunning the disk and statistics give way.
  static constexpr std::size_t max_pending = 100000;
  std::shared_ptr<rp::store> store_;
  std::mutex mu_;
  std::vector<rp::tls_session> pending_;
  std::uint64_t dropped_ = 0;
};

class report_sender {
 public:
  report_sender(serve_context& ctx, mail_checks& checks)
      : ctx_(ctx), store_(checks.reports), queue_(checks.outbound), resolver_(checks.resolver), psl_(checks.psl),
        submission_(checks.submission), flush_tls_(checks.flush_tls) {
    // https: rua certificates are checked like MX and MTA-STS hosts': system CAs plus
    // smtp.outbound.ca_file.
    verify_.set_verify_mode(boost::asio::ssl::verify_peer);
    boost::system::error_code ec;
    verify_.set_default_verify_paths(ec);
    if (!ctx_.cfg.smtp_outbound_ca_file.empty()) verify_.load_verify_file(ctx_.cfg.smtp_outbound_ca_file.string(), ec);
    thread_ = std::thread([this] { loop(); });
  }
  ~report_sender() { stop(); }

  void stop() {
    {
      std::lock_guard l(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    std::unique_lock l(mu_);
    // Soon after start (a restart after a missed day sends at once), then every ten minutes:
    // the reports of a day go out in the first ten minutes after midnight UTC. TLS outcomes
    // are written every half minute in between.
    auto next_run = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (;;) {
      const auto wake = std::min(next_run, std::chrono::steady_clock::now() + std::chrono::seconds(30));
      if (cv_.wait_until(l, wake, [this] { return stopping_; })) break;
      l.unlock();
      try {
        if (flush_tls_) flush_tls_();
        if (std::chrono::steady_clock::now() >= next_run) {
          run_once(clock_now());
          next_run = std::chrono::steady_clock::now() + std::chrono::seconds(600);
        }
      } catch (const std::exception& e) {
        log::error("reports.send_failed", {{"error", e.what()}});
        next_run = std::chrono::steady_clock::now() + std::chrono::seconds(600);
      }
      l.lock();
    }
    l.unlock();
    if (flush_tls_) flush_tls_();  // what the queue handed over since the last write
  }

  std::string org_domain(const std::string& d) const { return psl_ ? psl_->organizational_domain(d) : d; }

  // RFC 7489 §7.1: a rua outside the policy domain's organization must agree to receive its
  // reports with a TXT record at <policy-domain>._report._dmarc.<destination>.
  bool destination_agrees(const std::string& policy_domain, const std::string& address) {
    const std::string dest = domain_of(address);
    if (org_domain(dest) == org_domain(policy_domain)) return true;
    auto name = rp::report_verification_name(policy_domain, dest);
    auto fut = boost::asio::co_spawn(ctx_.server.io(), resolver_->txt(name), boost::asio::use_future);
    if (fut.wait_for(std::chrono::seconds(30)) != std::future_status::ready) return false;
    auto answer = fut.get();
    return answer.st == dns::status::ok && rp::verification_agrees(answer.records);
  }

  // RFC 8460 §5.4: the gzip JSON POSTed to each https: URI of the rua.
  void post(const rp::outgoing_report& r) {
    if (r.https.empty()) return;
    auto packed = rp::gzip(r.document);
    if (!packed) {
      log::error("reports.not_sent", {{"kind", "tls"}, {"domain", r.policy_domain}, {"error", packed.error().message}});
      return;
    }
    for (const auto& uri : r.https) {
      auto to = rp::parse_https_uri(uri);
      if (!to) {
        log::warn("reports.not_sent", {{"kind", "tls"}, {"domain", r.policy_domain}, {"to", uri},
                                       {"reason", "not an https URI we can post to"}});
        continue;
      }
      auto fut = boost::asio::co_spawn(
          ctx_.server.io(),
          rp::post_report(*resolver_, verify_, *to, *packed, "application/tlsrpt+gzip", std::chrono::seconds(60)),
          boost::asio::use_future);
      rp::post_result res;
      if (fut.wait_for(std::chrono::seconds(90)) == std::future_status::ready) res = fut.get();
      else res.error = "no answer in time";
      if (!res.ok) {
        log::warn("reports.not_sent", {{"kind", "tls"}, {"domain", r.policy_domain}, {"to", uri}, {"error", res.error}});
        continue;
      }
      log::info("reports.sent", {{"kind", "tls"}, {"domain", r.policy_domain}, {"to", uri}, {"report_id", r.report_id},
                                 {"status", res.status}, {"bytes", static_cast<std::uint64_t>(packed->size())}});
    }
  }

  void send(const rp::outgoing_report& r, const rp::reporter& me) {
    const char* kind = r.kind == rp::report_kind::dmarc ? "dmarc" : "tls";
    if (r.kind == rp::report_kind::tls) post(r);
    for (const auto& to : r.rua) {
      if (r.kind == rp::report_kind::dmarc && !destination_agrees(r.policy_domain, to)) {
        log::warn("reports.not_sent", {{"kind", kind}, {"domain", r.policy_domain}, {"to", to},
                                       {"reason", "the destination does not agree (RFC 7489 section 7.1)"}});
        continue;
      }
      auto id = mail::smtp::new_id() + "@" + me.hostname;
      auto msg = rp::report_message(r, me, to, mail::smtp::rfc5322_now(), id);
      if (!msg) {
        log::error("reports.not_sent", {{"kind", kind}, {"domain", r.policy_domain}, {"error", msg.error().message}});
        continue;
      }
      mail::queue::envelope env;
      env.from = me.email;
      env.rcpts.push_back({to, "", ""});
      env.client = "reports";
      // Signed like our users' mail (DKIM of the From domain), so that the receiver trusts it.
      std::string bytes = submission_ ? submission_->prepare(me.email, me.email, std::move(*msg)) : std::move(*msg);
      auto q = queue_->enqueue(env, bytes);
      if (!q) {
        log::error("reports.not_sent", {{"kind", kind}, {"domain", r.policy_domain}, {"error", q.error().message}});
        continue;
      }
      log::info("reports.sent", {{"kind", kind}, {"domain", r.policy_domain}, {"to", to}, {"report_id", r.report_id},
                                 {"bytes", static_cast<std::uint64_t>(bytes.size())}});
    }
  }

  // RFC 8460 §3: where a domain wants its reports, asked now for the sessions that did not
  // record it; a domain without a TLSRPT record gets none.
  std::vector<rp::tls_session> with_rua(std::vector<rp::tls_session> sessions) {
    std::map<std::string, std::string> rua;
    for (auto& s : sessions) {
      if (!s.rua.empty()) continue;
      auto it = rua.find(s.policy_domain);
      if (it == rua.end()) {
        auto fut = boost::asio::co_spawn(ctx_.server.io(), resolver_->txt("_smtp._tls." + s.policy_domain),
                                         boost::asio::use_future);
        std::string value;
        if (fut.wait_for(std::chrono::seconds(30)) == std::future_status::ready) {
          auto answer = fut.get();
          if (answer.st == dns::status::ok) value = rp::tlsrpt_rua(answer.records);
        }
        it = rua.emplace(s.policy_domain, value).first;
      }
      s.rua = it->second;
    }
    return sessions;
  }

  void run_once(std::int64_t now) {
    if (flush_tls_) flush_tls_();
    const std::int64_t today = now - ((now % 86400) + 86400) % 86400;
    const auto me = make_reporter(ctx_);
    auto evals = store_->dmarc_evaluations(today);
    auto sessions = store_->tls_sessions(today);
    if (!evals || !sessions) {
      log::error("reports.send_failed", {{"error", (!evals ? evals.error() : sessions.error()).message}});
      return;
    }
    // Every complete day not yet reported, one report per day and domain.
    std::set<std::int64_t> days;
    for (const auto& e : *evals) days.insert(e.time - ((e.time % 86400) + 86400) % 86400);
    for (const auto& s : *sessions) days.insert(s.time - ((s.time % 86400) + 86400) % 86400);
    for (auto day : days) {
      if (ctx_.cfg.reports_send_dmarc)
        for (const auto& r : rp::dmarc_reports(*evals, day, day + 86400, me)) send(r, me);
      if (ctx_.cfg.reports_send_tls)
        for (const auto& r : rp::tls_reports(with_rua(*sessions), day, day + 86400, me)) send(r, me);
    }
    if (!days.empty())
      if (auto f = store_->forget_before(today); !f)
        log::error("reports.send_failed", {{"error", f.error().message}});
  }

  serve_context& ctx_;
  std::shared_ptr<rp::store> store_;
  mail::queue::queue* queue_;
  std::shared_ptr<dns::resolver> resolver_;
  std::shared_ptr<const mail::mailauth::public_suffix_list> psl_;
  std::shared_ptr<mail::smtp::submission_transform> submission_;
  std::function<void()> flush_tls_;  // empty when TLS outcomes are not recorded
  boost::asio::ssl::context verify_{boost::asio::ssl::context::tls_client};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

bool install_reports(serve_context& ctx, mail_checks& checks) {
  auto st = rp::open_store(database_target(ctx.cfg, "reports.db"));
  if (!st) {
    log::error("reports.open", {{"database", database_name(ctx.cfg, "reports.db")}, {"error", st.error().message}});
    return false;
  }
  checks.reports = std::shared_ptr<rp::store>(std::move(*st));
  ctx.keep.push_back(checks.reports);
  if (ctx.cfg.reports_send_dmarc) {
    std::shared_ptr<rp::store> store = checks.reports;
    checks.on_dmarc = [store](const mail::mailauth::dmarc_observation& o) {
      rp::dmarc_evaluation e;
      e.time = clock_now();
      e.source_ip = o.source_ip;
      e.header_from = o.header_from;
      e.envelope_from = o.envelope_from;
      e.policy_domain = o.record_domain;
      auto tags = mail::mailauth::parse_tags(o.record);
      auto tag = [&](const char* k, const char* def) {
        if (!tags) return std::string(def);
        auto it = tags->find(k);
        return it == tags->end() ? std::string(def) : it->second;
      };
      e.p = tag("p", "none");
      e.sp = tag("sp", "");
      e.adkim = tag("adkim", "r");
      e.aspf = tag("aspf", "r");
      e.pct = std::atoi(tag("pct", "100").c_str());
      e.rua = tag("rua", "");
      e.disposition = o.disposition;
      e.dkim = o.dkim_aligned ? "pass" : "fail";
      e.spf = o.spf_aligned ? "pass" : "fail";
      e.dkim_results = o.dkim_results;
      e.spf_domain = o.spf_domain;
      e.spf_result = o.spf_result;
      if (auto r = store->record_dmarc(e); !r) log::error("reports.record", {{"error", r.error().message}});
    };
  }
  if (ctx.cfg.reports_send_tls) {
    auto rec = std::make_shared<tls_recorder>(checks.reports);
    *checks.on_tls = [rec](std::vector<mail::queue::tls_outcome> v) { rec->add(std::move(v)); };
    checks.flush_tls = [rec] { rec->flush(); };
  }
  return true;
}

mail::smtp::copy_hook with_report_ingest(serve_context& ctx, mail_checks& checks, mail::smtp::copy_hook inner) {
  std::shared_ptr<rp::store> store = checks.reports;
  const std::string local = lower(ctx.cfg.zone_report_local);
  return [inner = std::move(inner), store, local](const mail::smtp::copy_request& r) -> result<mail::smtp::copy_outcome> {
    auto out = inner(r);
    // Only after the copy is safely stored: a report we cannot read is still mail for a person.
    auto at = r.envelope_to.rfind('@');
    if (!out || out->rejected || at == std::string::npos || lower(r.envelope_to.substr(0, at)) != local) return out;
    // A large message's copy holds only the start of its body: the rest is read in pieces, so
    // that a report attached past the first MiB (a big reporter's gzip) is read whole.
    auto got = r.large && r.large->body
                   ? rp::ingest(*store, std::string_view(r.copy).substr(0, r.copy.size() - r.large->body_start),
                                r.large->body, clock_now())
                   : rp::ingest(*store, r.copy, clock_now());
    if (!got) {
      if (got.error().code != "reports.none")
        log::warn("reports.unreadable", {{"to", r.envelope_to}, {"from", r.envelope_from}, {"code", got.error().code},
                                         {"error", got.error().message}, {"kept", "mailbox"}});
      return out;
    }
    for (const auto& g : *got)
      log::info("reports.received", {{"kind", g.kind}, {"org", g.org}, {"report_id", g.report_id}, {"domain", g.domain},
                                     {"rows", static_cast<std::uint64_t>(g.rows)}, {"duplicate", g.duplicate}});
    return out;
  };
}

void start_report_sender(serve_context& ctx, mail_checks& checks) {
  if (!ctx.cfg.reports_send_dmarc && !ctx.cfg.reports_send_tls) return;
  auto s = std::make_shared<report_sender>(ctx, checks);
  ctx.keep.push_back(s);
  ctx.on_stop.push_back([s] { s->stop(); });
  log::info("reports.schedule", {{"dmarc", ctx.cfg.reports_send_dmarc}, {"tls", ctx.cfg.reports_send_tls}});
}

}  // namespace hearth::app
