// The web console's view of the protocol areas (web/admin/server_admin.hpp), implemented with
// their own code: the zone plan and check of `hearth dns zone|check`, the queue store of
// `hearth queue`, the DKIM keys of `hearth dkim`.
#pragma once
#include <memory>

#include "core/config/config.hpp"
#include "directory/directory.hpp"
#include "web/admin/server_admin.hpp"

namespace hearth::mail::queue {
class store;
}

namespace hearth::app {

// `cfg` and `dir` must outlive the result; `queue` may be null (the queue store is opened
// on first use).
std::unique_ptr<web::admin::server_admin> make_web_admin_server(const config::config& cfg, directory::directory& dir,
                                                                std::shared_ptr<mail::queue::store> queue);

}  // namespace hearth::app
