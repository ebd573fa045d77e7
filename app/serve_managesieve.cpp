// The Sieve script store and ManageSieve (RFC 5804, port 4190): wired into `hearth serve`
// (app/serve_context.hpp). Runs before install_mail, which uses the store at delivery.
#include <memory>

#include "app/common.hpp"
#include "app/serve_context.hpp"
#include "app/sieve_glue.hpp"
#include "core/log/log.hpp"
#include "mail/managesieve/server/session.hpp"
#include "mail/sieve_store/cached.hpp"
#include "mail/sieve_store/store.hpp"

namespace hearth::app {

bool install_managesieve(serve_context& ctx) {
  auto st = mail::sieve_store::store::open(database_target(ctx.cfg), sieve_quota(ctx.cfg));
  if (!st) {
    log::error("serve.sieve_store", {{"error", st.error().message}});
    return false;
  }
  std::shared_ptr<mail::sieve_store::store> stored(std::move(*st));
  ctx.keep.push_back(stored);
  // Every delivery asks for the account's active script (HACKING "Inbound SMTP: where the CPU
  // goes"); ManageSieve and the web console write through the same wrapper, so their changes
  // reach the next delivery on every node.
  std::shared_ptr<mail::sieve_store::store> scripts = mail::sieve_store::make_cached(
      *stored, &ctx.bus, {.stamp = ctx.cfg.data_dir / mail::sieve_store::stamp_name});
  ctx.scripts = scripts.get();
  ctx.keep.push_back(scripts);

  auto env = std::make_shared<mail::managesieve::engine_env>();
  env->scripts = scripts.get();
  env->authn = &ctx.authn;
  env->hostname = ctx.cfg.hostname;
  env->sieve_extensions = sieve_extensions();
  env->notify_methods = sieve_notify_methods();
  env->max_redirects = sieve_max_redirects();
  env->check = [](std::string_view script, const std::string&) { return sieve_check(script); };
  mail::managesieve::session_options o;
  o.timeout = std::chrono::seconds(ctx.cfg.read_timeout_seconds);
  o.max_errors = ctx.cfg.managesieve_max_errors;
  // A literal may be somewhat bigger than the script quota so that the answer to a too-big
  // PUTSCRIPT is NO (QUOTA/MAXSIZE) rather than a closed connection.
  o.limits.max_literal = std::max<std::size_t>(1u << 20, ctx.cfg.managesieve_max_script_size * 2);
  o.limits.max_command = o.limits.max_literal * 2 + 64 * 1024;
  ctx.handlers[config::service::managesieve] = mail::managesieve::make_handler(env, o);
  return true;
}

}  // namespace hearth::app
