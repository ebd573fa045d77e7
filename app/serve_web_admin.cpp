// The web console's admin API (/api/v1/admin/, web/admin/): the token store, and the
// protocol areas' admin view (app/web_admin_server.hpp) behind the endpoints.
#include "app/serve_web_admin.hpp"

#include "app/common.hpp"
#include "app/web_admin_server.hpp"
#include "core/log/log.hpp"
#include "web/admin/admin.hpp"

namespace hearth::app {

bool add_web_admin(serve_context& ctx, web::services& svc) {
  auto tokens = web::admin::open_token_store(database_target(ctx.cfg));
  if (!tokens) {
    log::error("serve.web", {{"error", "API tokens: " + tokens.error().message}});
    return false;
  }
  std::shared_ptr<web::admin::token_store> store(std::move(*tokens));
  std::shared_ptr<web::admin::server_admin> areas(make_web_admin_server(ctx.cfg, ctx.dir, nullptr));
  auto s = std::make_shared<const web::admin::services>(web::admin::services{ctx.cfg, ctx.dir, *areas, version});
  svc.more_endpoints = [s](web::api& a) { web::admin::add_endpoints(a, s); };
  directory::directory& dir = ctx.dir;
  svc.bearer = [store, &dir](std::string_view token) { return web::admin::token_caller(*store, dir, token); };
  ctx.keep.push_back(store);
  ctx.keep.push_back(areas);
  return true;
}

}  // namespace hearth::app
