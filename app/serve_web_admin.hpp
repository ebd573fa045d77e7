// The web console's admin side (web/admin/), wired by install_web (serve_web.cpp).
#pragma once
#include "app/serve_context.hpp"
#include "web/web.hpp"

namespace hearth::app {

// Opens the API token store and fills svc.more_endpoints (the /api/v1/admin/ endpoints) and
// svc.bearer (API tokens); keeps what they use in ctx.keep. False after logging why.
bool add_web_admin(serve_context& ctx, web::services& svc);

}  // namespace hearth::app
