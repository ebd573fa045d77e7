// `hearth queue list|show|flush|delete|bounce` (issue 3): the running server's outbound queue.
#include "app/commands.hpp"
#include "app/common.hpp"

namespace hearth::app {

int cmd_queue(const globals&, const args&) { return fail_with(1, "the outbound queue is not built yet"); }

}  // namespace hearth::app
