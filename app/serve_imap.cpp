// IMAP and POP3: wired into `hearth serve` (app/serve_context.hpp).
#include <functional>
#include <memory>

#include "app/common.hpp"
#include "app/serve_context.hpp"
#include "core/db/other_processes.hpp"
#include "core/log/log.hpp"
#include "app/serve_spam.hpp"
#include "mail/imap/server/cache.hpp"
#include "mail/imap/server/change_clock.hpp"
#include "mail/imap/server/session.hpp"
#include "mail/imap/server/summary.hpp"
#include "mail/pop3/session.hpp"
#include "mail/store/acl.hpp"
#include "mail/store/seen.hpp"

namespace hearth::app {

bool install_imap(serve_context& ctx) {
  auto env = std::make_shared<mail::imap::server_env>();
  env->store = &ctx.mail;
  env->blobs = &ctx.blobs;
  env->authn = &ctx.authn;
  env->hostname = ctx.cfg.hostname;
  // Shared mailboxes (RFC 4314): grants made with `hearth share mailbox` or SETACL.
  auto acl = mail::acl_store::open(database_target(ctx.cfg));
  if (!acl) {
    log::error("imap.acl", {{"error", acl.error().message}});
    return false;
  }
  std::shared_ptr<mail::acl_store> acl_store(std::move(*acl));
  env->acl = acl_store.get();
  ctx.keep.push_back(acl_store);
  // Each sharee's own \Seen on shared mailboxes (mail/store/seen.hpp).
  auto seen = mail::seen_store::open(database_target(ctx.cfg), &ctx.bus);
  if (!seen) {
    log::error("imap.seen", {{"error", seen.error().message}});
    return false;
  }
  std::shared_ptr<mail::seen_store> seen_store(std::move(*seen));
  env->seen = seen_store.get();
  ctx.keep.push_back(seen_store);
  env->append_limit = ctx.cfg.imap_max_literal;
  env->progress_interval = std::chrono::seconds(ctx.cfg.imap_progress_interval);
  // Headers and BODYSTRUCTURE come from the store's per-blob summaries, so this cache of whole
  // messages only serves repeated body fetches: kept small (RSS).
  auto cache = std::make_shared<mail::imap::message_cache>(4u << 20, 512u << 10);
  env->cache = cache.get();
  ctx.keep.push_back(cache);
  // SEARCH FROM/SUBJECT/... of a 10 000-message mailbox: ~300 bytes a message.
  // FETCH of headers, ENVELOPE, BODYSTRUCTURE: whole summaries, ~1-3 KiB a message.
  auto searches = std::make_shared<mail::imap::search_cache>(8u << 20, 16u << 20);
  env->searches = searches.get();
  ctx.keep.push_back(searches);
  // The refresh after each command skips its read when nothing can have changed the selected
  // mailbox (change_clock.hpp): this process's writers say so on the bus, and another process
  // writing hearth.db shows by its open of the file and its locks (core/db/other_processes.hpp).
  // On PostgreSQL another node's writes show by neither: there every command reads.
  if (!on_postgres(ctx.cfg)) {
    std::function<std::uint64_t()> others;
    if (auto watch = db::other_processes::watch(database_target(ctx.cfg))) {
      ctx.keep.push_back(watch);
      others = [w = watch.get()] { return w->epoch(); };
    } else {
      log::warn("imap.refresh", {{"watch", database_target(ctx.cfg)}, {"error", "cannot watch; every command reads"}});
    }
    auto clock = std::make_shared<mail::imap::change_clock>(ctx.bus, std::move(others));
    env->changes = clock.get();
    ctx.keep.push_back(clock);
  }
  // Moves into and out of Junk, $Junk/$NotJunk: the spam filter learns (app/serve_spam.cpp).
  if (!install_spam_learner(ctx, *env)) return false;
  mail::imap::session_options io;
  io.max_line = ctx.cfg.imap_max_line;
  io.max_search_depth = ctx.cfg.imap_search_depth;
  io.idle_timeout = std::chrono::seconds(ctx.cfg.imap_idle_timeout);
  io.max_errors = ctx.cfg.imap_max_errors;
  // On SQLite the mail store, the ACL grants and the directory are files in WAL mode, whose
  // reads never wait for a writer: short read commands skip the store pool. On PostgreSQL each
  // read is a network round trip, which must not hold an I/O thread.
  io.inline_reads = !on_postgres(ctx.cfg);
  ctx.handlers[config::service::imap] = mail::imap::make_handler(env, &ctx.bus, false, io);
  ctx.handlers[config::service::imaps] = mail::imap::make_handler(env, &ctx.bus, true, io);

  auto penv = std::make_shared<mail::pop3::engine_env>();
  penv->store = &ctx.mail;
  penv->blobs = &ctx.blobs;
  penv->authn = &ctx.authn;
  penv->hostname = ctx.cfg.hostname;
  mail::pop3::session_options po;
  po.inline_reads = io.inline_reads;  // as IMAP's, for the same reason
  ctx.handlers[config::service::pop3] = mail::pop3::make_handler(penv, false, po);
  ctx.handlers[config::service::pop3s] = mail::pop3::make_handler(penv, true, po);
  return true;
}

}  // namespace hearth::app
