// CalDAV and CardDAV: wired into `hearth serve` (app/serve_context.hpp).
// The DAV store lives in the server's database file (migration component "dav"); the routes
// go on the shared HTTPS router (dav/server/service.hpp lists them).
#include "app/common.hpp"
#include "app/imip_glue.hpp"
#include "app/serve_context.hpp"
#include "core/log/log.hpp"
#include "dav/server/service.hpp"
#include "dav/store/shares.hpp"
#include "dav/store/store.hpp"
#include "directory/directory.hpp"

namespace hearth::app {

bool install_dav(serve_context& ctx) {
  auto st = dav::store::open(database_target(ctx.cfg));
  if (!st) {
    log::error("dav.store", {{"error", st.error().message}});
    return false;
  }
  std::shared_ptr<dav::store> store(std::move(*st));
  dav::options opts;
  opts.max_resource_size = ctx.cfg.dav_max_resource_size;
  opts.dir = &ctx.dir;
  opts.imip = make_imip_sender(ctx);
  auto shares = dav::share_store::open(database_target(ctx.cfg));
  if (!shares) {
    log::error("dav.store", {{"error", shares.error().message}});
    return false;
  }
  std::shared_ptr<dav::share_store> share_store(std::move(*shares));
  opts.shares = share_store.get();
  opts.is_account = [&dir = ctx.dir](const std::string& address) { return dir.find_account(address).has_value(); };
  ctx.keep.push_back(share_store);
  auto svc = dav::register_routes(ctx.routes, *store, ctx.authn, &ctx.bus, opts);
  *ctx.observe_copy = make_imip_receiver(ctx, svc);
  ctx.keep.push_back(store);
  ctx.keep.push_back(svc);
  log::info("dav.ready", {{"database", database_name(ctx.cfg)}});
  return true;
}

}  // namespace hearth::app
