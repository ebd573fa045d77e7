// XMPP across nodes on one PostgreSQL database (README "Several nodes"): the session registry
// (xmpp/store/registry.hpp), this node's stanza channel (core/pg/notify_channel.hpp) and its
// heartbeat, wired into the hub. On SQLite (one node) nothing is installed and the hub routes
// in the process as before.
#pragma once
#include "app/serve_context.hpp"

namespace hearth::xmpp {
class hub;
}

namespace hearth::app {

// Returns false (logged) when the database is PostgreSQL and the registry cannot be opened.
// Registers its stop with ctx.on_stop. `state` must outlive the hub (its sessions unbind from
// the registry as they end): keep it after the hub in ctx.keep.
bool install_xmpp_cluster(serve_context& ctx, xmpp::hub& hub, std::shared_ptr<void>& state);

}  // namespace hearth::app
