// SMTP, submission and the outbound queue: wired into `hearth serve` (app/serve_context.hpp).
#include "app/serve_mail.hpp"
#include "app/serve_queue.hpp"
#include "app/serve_sieve.hpp"
#include "core/log/log.hpp"
#include "directory/cached.hpp"
#include "mail/queue/queue.hpp"
#include "mail/smtp/server/session.hpp"

namespace hearth::app {

bool install_mail(serve_context& ctx) {
  const auto& c = ctx.cfg;
  // The outbound queue (app/serve_queue.cpp: config, resolver, local delivery, start/stop).
  mail_checks checks;
  checks.resolver = make_resolver(ctx);
  // Sieve at delivery (app/serve_sieve.cpp), for the SMTP sessions and the queue's local
  // deliveries alike; filled in once the queue and the submission transform exist.
  auto local_copy = std::make_shared<mail::smtp::copy_hook>();
  // SRS and ARC for whatever leaves on behalf of an alias or a redirect.
  auto forwarder = make_forwarding(ctx);
  auto outbound = make_outbound_queue(ctx, *checks.resolver, local_copy, forwarder, checks.on_tls);
  if (!outbound) return false;
  checks.outbound = outbound.get();
  // RCPT, the spam verdict and delivery ask the directory the same few questions for every
  // message: SMTP's view remembers the answers (directory/cached.hpp); a change made through
  // ctx.dir, here or on another node, empties it through the bus, and one made by the CLI is
  // seen within 2 s.
  std::shared_ptr<directory::directory> smtp_dir = directory::make_cached(ctx.dir, &ctx.bus);
  ctx.keep.push_back(smtp_dir);
  checks.smtp_dir = smtp_dir;
  // The MX checks: filters (greylisting, DNSBL, backup MX, verdict) and mail authentication.
  if (!install_filter(ctx, checks) || !install_reports(ctx, checks) || !install_mailauth(ctx, checks)) return false;
  mail::smtp::server_services svc{*smtp_dir, ctx.authn, ctx.mail, outbound.get(), {}, nullptr, {}, nullptr, nullptr};
  for (auto* part : {&checks.early, &checks.auth, &checks.late})
    svc.filters.insert(svc.filters.end(), part->begin(), part->end());
  svc.submission = checks.submission;
  svc.forwarder = forwarder;
  svc.decisions = checks.decisions;
  svc.blobs = &ctx.blobs;
  *local_copy = with_report_ingest(ctx, checks, make_sieve_hook(ctx, outbound.get(), checks.submission, forwarder));
  start_report_sender(ctx, checks);
  // iMIP in (install_dav fills observe_copy): each copy is looked at before Sieve files it.
  *local_copy = [sieve = *local_copy, observe = ctx.observe_copy](const mail::smtp::copy_request& r) {
    if (*observe) {
      if (r.large && r.large->body)
        (*observe)(r.account, r.copy.substr(0, r.copy.size() - std::min(r.large->body_start, r.copy.size())),
                   r.auth_user, &r.large->body);
      else
        (*observe)(r.account, r.copy, r.auth_user, nullptr);
    }
    return sieve(r);
  };
  *ctx.send_mail = [q = outbound.get(), sub = checks.submission](const std::string& from, const std::vector<std::string>& to,
                                                                 const std::string& message) -> result<void> {
    mail::queue::envelope env;
    env.from = from;
    for (const auto& r : to) env.rcpts.push_back({r, "", ""});
    env.auth_user = from;
    env.client = "dav";
    auto queued = q->enqueue(env, sub ? sub->prepare(from, from, message) : message);
    if (!queued) return queued.error();
    return {};
  };
  svc.local_copy = *local_copy;

  mail::smtp::server_options o;
  o.hostname = c.hostname;
  o.max_message_size = c.smtp_max_message_size;
  o.max_recipients = c.smtp_max_recipients;
  o.max_errors = static_cast<int>(c.smtp_max_errors);
  o.command_timeout = std::chrono::seconds(c.smtp_command_timeout);
  o.data_timeout = std::chrono::seconds(c.smtp_data_timeout);
  o.max_connections_per_ip = c.smtp_max_connections_per_ip;
  o.spill_dir = c.data_dir / "tmp";

  using config::service;
  using mail::smtp::listener_kind;
  for (auto [svc_name, kind] : {std::pair{service::smtp, listener_kind::mx},
                                std::pair{service::submission, listener_kind::submission},
                                std::pair{service::submissions, listener_kind::submissions}}) {
    auto k = o;
    k.kind = kind;
    ctx.handlers[svc_name] = mail::smtp::make_handler(k, svc);
  }
  return true;
}

}  // namespace hearth::app
