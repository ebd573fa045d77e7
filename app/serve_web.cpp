// The web console (web/): its sessions in hearth.db and its routes on the HTTPS router.
#include "app/common.hpp"
#include "app/serve_context.hpp"
#include "app/serve_web_admin.hpp"
#include "core/log/log.hpp"
#include "app/sieve_glue.hpp"
#include "mail/filter/bayes/token_store.hpp"
#include "mail/sieve_store/store.hpp"
#include "mail/store/store.hpp"
#include "rfc6764/autoconfig.hpp"
#include "web/session_store.hpp"
#include "web/totp_store.hpp"
#include "web/web.hpp"

namespace hearth::app {

bool install_web(serve_context& ctx) {
  auto sessions = web::open_session_store(database_target(ctx.cfg));
  if (!sessions) {
    log::error("serve.web", {{"error", sessions.error().message}});
    return false;
  }
  auto totp = web::open_totp_store(database_target(ctx.cfg));
  if (!totp) {
    log::error("serve.web", {{"error", totp.error().message}});
    return false;
  }
  std::shared_ptr<web::session_store> store(std::move(*sessions));
  std::shared_ptr<web::totp_store> second(std::move(*totp));
  (void)store->purge_expired();  // sessions that ended while the server was down
  web::options opts;
  opts.totp_issuer = "Hearth " + ctx.cfg.hostname;
  opts.session_lifetime = std::chrono::seconds(ctx.cfg.web_session_lifetime);
  opts.session_idle = std::chrono::seconds(ctx.cfg.web_session_idle);
  auto port = [&](config::service s) { return static_cast<int>(ctx.cfg.listen(s).port); };
  opts.devices = {ctx.cfg.hostname, port(config::service::imaps), port(config::service::submission),
                  port(config::service::submissions), port(config::service::https), port(config::service::xmpp_client)};
  web::services svc{ctx.dir, ctx.authn, *store, *second, {}, {}, std::nullopt, {}, {}, {}};
  mail::store& mail = ctx.mail;
  svc.mail_usage = [&mail](const std::string& address) -> std::optional<std::uint64_t> {
    auto u = mail.usage(address);
    if (!u) return std::nullopt;
    return u->used_bytes;
  };
  const config::config& cfg = ctx.cfg;
  svc.mobileconfig = [&cfg](const std::string& address, const std::string& name) {
    return rfc6764::apple_mobileconfig(cfg, address, name);
  };
  if (ctx.scripts) {
    // The same steps as ManageSieve's PUTSCRIPT then SETACTIVE (quota, compile, store).
    mail::sieve_store::store& scripts = *ctx.scripts;
    web::sieve_hooks hooks;
    hooks.active = [&scripts](const std::string& address)
        -> result<std::optional<std::pair<std::string, std::string>>> {
      auto a = scripts.active(address);
      if (!a) return a.error();
      if (!*a) return std::optional<std::pair<std::string, std::string>>();
      return std::optional<std::pair<std::string, std::string>>(std::pair{(*a)->name, (*a)->content});
    };
    hooks.install = [&scripts](const std::string& address, const std::string& name, const std::string& script)
        -> result<void> {
      if (auto sp = scripts.check_space(address, name, script.size()); !sp) {
        if (sp.error().code.starts_with("sieve.quota")) return fail("sieve.invalid", sp.error().message);
        return sp.error();
      }
      auto verdict = sieve_check(script);
      if (!verdict.ok) return fail("sieve.invalid", verdict.message);
      if (auto r = scripts.put(address, name, script); !r) return r;
      return scripts.set_active(address, name);
    };
    svc.sieve = std::move(hooks);
  }
  if (ctx.cfg.filter_bayes_enabled) {
    // The learning filter's own database (serve_spam.cpp has it open too; SQLite shares it).
    auto tokens = mail::filter::bayes::open_token_store(database_target(ctx.cfg, "spam.db"));
    if (tokens) {
      std::shared_ptr<mail::filter::bayes::token_store> ts(std::move(*tokens));
      ctx.keep.push_back(ts);
      svc.spam_trained = [ts](const std::string& address) -> std::optional<std::pair<std::uint64_t, std::uint64_t>> {
        auto st = ts->stats(address);
        if (!st) return std::nullopt;
        return std::pair{st->messages.spam, st->messages.ham};
      };
    }
  }
  if (!add_web_admin(ctx, svc)) return false;
  auto console = web::install(ctx.routes, svc, opts);
  ctx.keep.push_back(store);
  ctx.keep.push_back(second);
  ctx.keep.push_back(console);
  return true;
}

}  // namespace hearth::app
