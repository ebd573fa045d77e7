// mail/filter in `hearth serve`: greylisting, DNSBL/RHSBL/URIBL, rDNS/HELO checks,
// backup MX, the spam verdict. See app/serve_mail.hpp and mail/filter/checks.hpp.
//
// early: client checks (rDNS, HELO, DNSBL) -> greylisting -> backup MX acceptance
// late:  RHSBL/URIBL -> verdict (scorers: the place of the learning filter)
#include "app/common.hpp"
#include "app/serve_mail.hpp"
#include "app/serve_spam.hpp"
#include "core/crypto/crypto.hpp"
#include "core/http/router.hpp"
#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "directory/directory.hpp"
#include "mail/filter/checks.hpp"
#include "mail/filter/decision_recorder.hpp"
#include "mail/mailauth/dmarc.hpp"
#include "mail/filter/sync.hpp"

namespace hearth::app {
namespace {

namespace mf = mail::filter;

bool bad(const std::string& key, const std::string& value, const std::string& why) {
  log::error("filter.config", {{"key", key}, {"value", value}, {"error", why}});
  return false;
}

bool read_rule(const char* key, const std::string& text, mf::rule& out) {
  auto r = mf::parse_rule(text);
  if (!r) return bad(key, text, "expected a score like \"1.5\" or \"reject\"");
  out = *r;
  return true;
}

bool read_score(const char* key, const std::string& text, double& out) {
  auto s = mf::parse_score(text);
  if (!s) return bad(key, text, "expected a decimal score like \"5\" or \"7.5\"");
  out = *s;
  return true;
}

bool read_lists(const char* key, const std::vector<std::string>& in, double weight, std::vector<mf::list_spec>& out) {
  for (const auto& t : in) {
    auto s = mf::parse_list_spec(t, weight);
    if (!s) return bad(key, t, "expected \"zone\", \"zone:WEIGHT\" or \"zone:reject\"");
    out.push_back(*s);
  }
  return true;
}

// The primary's side of the backup MX recipient sync: the addresses of one local domain
// (accounts, alias sources, "@D" for a catch-all), one per line, to a caller with the secret.
http::response recipients_route(directory::directory& dir, const std::string& secret, const http::request& req) {
  auto auth = req.header("authorization");
  if (auth.empty()) {
    auto r = http::response::text(401, "authorization required\n");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"hearth backup-mx\"");
    return r;
  }
  constexpr std::string_view bearer = "bearer ";
  bool ok = auth.size() > bearer.size() && util::to_lower(auth.substr(0, bearer.size())) == bearer &&
            crypto::constant_time_equal(crypto::sha256(auth.substr(bearer.size())), crypto::sha256(secret));
  if (!ok) {
    log::warn("filter.backup_sync_refused", {{"ip", req.remote_ip}});
    return http::response::text(403, "forbidden\n");
  }
  auto name = http::query_param(req.query, "domain");
  if (!name || name->empty()) return http::response::text(400, "domain=D required\n");
  auto d = dir.find_domain(*name);
  if (!d) return http::response::text(404, "not a local domain\n");
  std::string body;
  for (const auto& a : dir.accounts(d->name)) body += a.address + "\n";
  for (const auto& a : dir.aliases(d->name)) body += a.source + "\n";
  log::info("filter.backup_sync_served", {{"ip", req.remote_ip}, {"domain", d->name}});
  auto r = http::response::text(200, std::move(body));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

bool install_filter(serve_context& ctx, mail_checks& checks) {
  const auto& c = ctx.cfg;
  double default_weight = 3;
  if (!read_score("filter.dnsbl.weight", c.filter_dnsbl_weight, default_weight)) return false;

  mf::client_options co;
  if (!read_rule("filter.client.rdns_none", c.filter_rdns_none, co.rdns_none) ||
      !read_rule("filter.client.rdns_mismatch", c.filter_rdns_mismatch, co.rdns_mismatch) ||
      !read_rule("filter.client.helo_not_fqdn", c.filter_helo_not_fqdn, co.helo_not_fqdn) ||
      !read_lists("filter.dnsbl.client", c.filter_dnsbl_client, default_weight, co.dnsbl))
    return false;
  checks.early.push_back(std::make_shared<mf::client_checks>(checks.resolver, std::move(co)));

  std::vector<std::string> backup_domains;
  for (const auto& d : c.backup_mx_domains) backup_domains.push_back(util::to_lower(d));

  if (c.filter_greylist_enabled) {
    mf::greylist_options go;
    std::string which;
    auto allow = mf::address_list::parse(c.filter_greylist_allowlist, &which);
    if (!allow) return bad("filter.greylist.allowlist", which, "expected an IP address, a CIDR network or a host name");
    go.allowlist = std::move(*allow);
    go.relay_domains = backup_domains;
    mf::greylist_times t;
    t.passtime = c.filter_greylist_passtime;
    t.greyexp = c.filter_greylist_greyexp;
    t.whiteexp = c.filter_greylist_whiteexp;
    auto g = mf::greylist::open(database_target(c), t);
    if (!g) {
      log::error("filter.greylist", {{"code", g.error().code}, {"error", g.error().message}});
      return false;
    }
    checks.early.push_back(std::make_shared<mf::greylist_filter>(*g, checks.resolver, std::move(go)));
    log::info("filter.greylist", {{"passtime", std::uint64_t(t.passtime)}, {"greyexp", std::uint64_t(t.greyexp)},
                                  {"whiteexp", std::uint64_t(t.whiteexp)}});
  }

  if (!backup_domains.empty()) {
    mf::backup_options bo;
    bo.domains = backup_domains;
    if (!c.backup_mx_sync_url.empty()) {
      // Synced from the primary into DATA_DIR (kept across restarts); replaces `recipients`.
      if (!mf::parse_https_url(c.backup_mx_sync_url))
        return bad("backup_mx.sync_url", c.backup_mx_sync_url, "expected https://host[:port][/path]");
      if (c.backup_mx_sync_secret.empty())
        return bad("backup_mx.sync_secret", "", "needed with backup_mx.sync_url");
      bo.recipients = c.data_dir / "backup_mx_recipients.txt";
      mf::sync_options so;
      so.url = c.backup_mx_sync_url;
      so.secret = c.backup_mx_sync_secret;
      so.ca_file = c.backup_mx_sync_ca_file.string();
      so.domains = backup_domains;
      so.file = bo.recipients;
      so.interval = c.backup_mx_sync_interval;
      auto sync = std::make_shared<mf::recipient_sync>(std::move(so));
      ctx.keep.push_back(sync);
      ctx.on_stop.push_back([sync] { sync->stop(); });
    } else if (c.backup_mx_recipients != "any") {
      std::filesystem::path p = c.backup_mx_recipients;
      if (p.is_relative()) p = c.file.parent_path() / p;
      bo.recipients = p;
    }
    checks.early.push_back(std::make_shared<mf::backup_mx>(std::move(bo)));
    std::string list;
    for (const auto& d : backup_domains) list += (list.empty() ? "" : ",") + d;
    log::info("filter.backup_mx", {{"domains", list},
                                   {"retention", std::uint64_t(c.backup_mx_retention)}});
  }

  if (!c.backup_mx_sync_secret.empty()) {
    http::route r;
    r.methods = {"GET"};
    r.path = std::string(mf::sync_path);
    r.fn = [&dir = ctx.dir, secret = c.backup_mx_sync_secret](const http::request& req) {
      return recipients_route(dir, secret, req);
    };
    ctx.routes.add(std::move(r));
  }

  mf::content_options cc;
  if (!read_lists("filter.dnsbl.sender", c.filter_dnsbl_sender, default_weight, cc.sender_lists) ||
      !read_lists("filter.dnsbl.uri", c.filter_dnsbl_uri, default_weight, cc.uri_lists))
    return false;
  if (!cc.uri_lists.empty()) {
    // URIBLs list registered domains: ask for example.co.uk, not co.uk.
    if (auto psl = public_suffixes(ctx, checks))
      cc.registered = [psl](std::string_view host) { return psl->organizational_domain(host); };
  }
  if (!cc.sender_lists.empty() || !cc.uri_lists.empty())
    checks.late.push_back(std::make_shared<mf::content_checks>(checks.resolver, std::move(cc)));

  if (c.filter_decisions_days > 0) {
    auto st = mf::open_decision_store(database_target(c, "decisions.db"));
    if (!st) {
      log::error("filter.decisions", {{"code", st.error().code}, {"error", st.error().message}});
      return false;
    }
    std::shared_ptr<mf::decision_store> store(std::move(*st));
    auto rec = std::make_shared<mf::decision_recorder>(
        store, mf::retention{static_cast<std::int64_t>(c.filter_decisions_days) * 86400, c.filter_decisions_max});
    ctx.keep.push_back(rec);
    ctx.on_stop.push_back([rec] { rec->stop(); });
    checks.decisions = rec;
  }

  mf::verdict_options vo;
  if (!read_score("filter.spam.threshold", c.filter_spam_threshold, vo.threshold) ||
      !read_score("filter.spam.reject_threshold", c.filter_spam_reject_threshold, vo.reject_threshold))
    return false;
  std::vector<std::shared_ptr<mf::scorer>> scorers;
  std::shared_ptr<mf::scorer> bayes;
  if (!make_spam_scorer(ctx, *checks.smtp_dir, bayes)) return false;
  if (bayes) scorers.push_back(bayes);
  checks.late.push_back(std::make_shared<mf::verdict_filter>(vo, std::move(scorers)));
  // Before every other late check: a virus is refused whatever its score.
  if (!install_antivirus(ctx, checks)) return false;
  return true;
}

}  // namespace hearth::app
